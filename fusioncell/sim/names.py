"""Name, alias and wording material for the simulated world (invented, Spanish-speaking region)."""

from __future__ import annotations

FEMALE = (
    "María", "Guadalupe", "Juana", "Margarita", "Verónica", "Leticia", "Rosa", "Francisca", "Teresa", "Alejandra",
    "Patricia", "Elizabeth", "Gabriela", "Adriana", "Claudia", "Araceli", "Silvia", "Martha", "Yolanda", "Daniela",
    "Fernanda", "Karla", "Mónica", "Sandra", "Lorena", "Norma", "Blanca", "Diana", "Itzel", "Ximena", "Paola",
    "Brenda", "Liliana", "Esmeralda", "Ana", "Lucía", "Sofía", "Valeria", "Andrea", "Carmen",
)
MALE = (
    "José", "Juan", "Miguel", "Francisco", "Jesús", "Antonio", "Alejandro", "Pedro", "Manuel", "Ricardo",
    "Roberto", "Fernando", "Javier", "Eduardo", "Sergio", "Jorge", "Luis", "Carlos", "Raúl", "Arturo",
    "Óscar", "Víctor", "Héctor", "Rubén", "Martín", "Gerardo", "Ramón", "Enrique", "Salvador", "Hugo",
    "Ernesto", "Rafael", "Alfredo", "Mario", "Ignacio", "Rodrigo", "Iván", "Omar", "Adrián", "Diego",
)
SURNAMES = (
    "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez", "Cruz",
    "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz",
    "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero", "Álvarez", "Méndez", "Chávez", "Rivera",
    "Juárez", "Ramos", "Domínguez", "Herrera", "Medina", "Castro", "Vargas", "Guzmán", "Velázquez", "Muñoz",
    "Rojas", "Contreras", "Salazar", "Luna", "Ortega", "Guerrero", "Estrada", "Bautista", "Cervantes", "Delgado",
    "Zúñiga", "Navarro", "Cortés", "Ochoa", "Villalobos", "Padilla", "Ávila", "Campos", "Ibarra", "Sandoval",
)
ALIASES_F = (
    "La Güera", "La Flaca", "La Morena", "La Chata", "La Güerita", "La Nena", "La Reina", "La Chaparra",
    "La Muñeca", "La Jefa", "La Princesa", "La Flaquita", "La Negra", "La Rubia", "La Gata", "La Chula",
)
ALIASES_M = (
    "El Flaco", "El Güero", "El Chato", "El Gordo", "El Compa", "El Primo", "El Tigre", "El Zurdo",
    "El Mudo", "El Chapo", "El Pelón", "El Tuerto", "El Cuervo", "El Gallo", "El Toro", "El Charro",
    "El Negro", "El Pollo", "El Tano", "El Jaguar", "El Lobo", "El Chino", "El Cheyo", "El Mayo",
)
TOWN_STEMS = (
    "San Gabriel", "Atemajac", "Tapalpa", "Chiquilistlán", "Sayula", "Amacueca", "Techaluta", "Atoyac",
    "Zacoalco", "Teocuitatlán", "Concepción", "Tolimán", "Tuxcacuesco", "Zapotitlán", "Tonila", "Juchitlán",
)

#: Intercepted messaging-app texts. Everyday ones are used by everybody; the
#: "errand" ones are what the organisation's logistics sound like, and plenty
#: of ordinary people say the same things (groceries, the ranch, a delivery).
MESSAGES_EVERYDAY = (
    "ok", "ya llegué", "¿dónde andas?", "llámame cuando puedas", "voy para allá", "mañana te veo",
    "no tengo saldo", "ahorita no puedo", "gracias", "sale", "¿ya comiste?", "te marco al rato",
    "estoy en el trabajo", "ya salí", "¿vienes hoy?", "nos vemos en la tarde", "bueno", "va",
)
MESSAGES_ERRAND = (
    "mañana subo con el mandado", "ya está listo el encargo", "¿a qué hora paso?", "llevo lo de la semana",
    "todo tranquilo por aquí", "no vayas hoy", "cambia de número", "te veo donde siempre", "ya voy para el rancho",
)

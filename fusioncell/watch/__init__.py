"""Standing tripwires: watches on entities, evaluated on each new delivery, and the alerts they raise.

An analyst names what to watch (``fusioncell watch add CASE KIND ...``);
every ingest that loads a new delivery evaluates the watches on that
delivery's rows only (``delivery_id``), in SQL, and stores one alert per
watch and delivery that fired, with the rows that fired it.

:mod:`fusioncell.watch.watches` keeps the watches; :mod:`fusioncell.watch.alerts`
evaluates them and lists alerts.
"""

from fusioncell.watch.alerts import Alert, evaluate_watches, list_alerts
from fusioncell.watch.watches import KINDS, Watch, add_watch, list_watches, remove_watch

__all__ = ["Alert", "KINDS", "Watch", "add_watch", "evaluate_watches", "list_alerts", "list_watches", "remove_watch"]

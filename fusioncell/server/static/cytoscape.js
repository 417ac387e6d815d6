import{a as e}from"./chunk-FHHYFLQY.js";export{e as default};

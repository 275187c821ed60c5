"""One leaflet as HTML (Jinja2) and as PDF (WeasyPrint): the environment, fonts, icon arrays."""

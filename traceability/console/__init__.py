"""The regulator and producer console: pages rendered on the server (HTML with inline SVG, no
JavaScript), its sessions and CSRF tokens. No web framework is imported here: the thin routers
in ``api/routes/console*.py`` call these functions (docs/console.md)."""

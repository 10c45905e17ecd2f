"""Public notices: recalls and serious-violation decisions, published the moment they are
recorded, as a page, an Atom feed and a JSON Feed (docs/console.md)."""

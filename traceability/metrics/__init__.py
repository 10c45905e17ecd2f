"""Process metrics in the Prometheus text format: the gateway updates them, the API renders them."""

//! Prometheus metrics: the broker's and nameserver's metric families and the `/metrics` HTTP endpoint.

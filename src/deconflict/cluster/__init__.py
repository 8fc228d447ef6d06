"""Cluster mode: the service's roles in separate processes over NATS JetStream and
PostgreSQL (``deconflict serve --cluster URLS --role ROLE``).

- :mod:`.bus`: the connection to NATS (request/reply, JetStream events) from any thread;
- :mod:`.wire`: how a call, its answer and its error cross the bus;
- :mod:`.lease`: the recorder's lease, a PostgreSQL advisory lock;
- :mod:`.recorder`: the ``recorder`` role, the ledger's single writer, serving calls;
- :mod:`.remote`: the service as a ``gateway`` sees it, every call sent to the recorder;
- :mod:`.roles`: what ``serve --cluster --role`` starts.
"""

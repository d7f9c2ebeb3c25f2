"""SCIM 2.0 service provider (RFC 7643/7644) at /scim/v2/.

The protocol (parsing, validation, PATCH, filters, responses) is scim2-server's and
scim2-models'; this package holds only what is ours: bearer tokens per IdP connection
(`tokens.py`), the storage that maps resources onto portal accounts (`storage.py`, which
calls `services.py`), and the Django view that feeds requests to the library (`views.py`)."""

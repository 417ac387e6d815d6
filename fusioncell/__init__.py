"""fusioncell: an open, all-source intelligence fusion workbench.

Data flows one way (see docs/architecture.md)::

    case folder -> ingest -> case store -> resolve -> network / spacetime
                -> infer (locate, plan) -> products (report, share) -> cli / server
"""

__version__ = "0.1.0"

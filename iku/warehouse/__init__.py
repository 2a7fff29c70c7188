"""The warehouse: the only module that talks to the database."""

from .store import Warehouse, WarehouseUnavailable

__all__ = ["Warehouse", "WarehouseUnavailable"]

"""A Kubernetes API test server for integration tests and the local sandbox."""

from .faults import Fault
from .model import RecordedRequest, TokenIdentity
from .server import KubeApiServer

__all__ = ["Fault", "KubeApiServer", "RecordedRequest", "TokenIdentity"]

"""API errors, rendered by kmock as Kubernetes Status documents."""

from kmock import KubernetesError


def _error(status: int, reason: str):
    class _Error(KubernetesError):
        def __init__(self, message: str, details=None):
            super().__init__(status=status, reason=reason, message=message, details=details or {})
    _Error.__name__ = reason
    return _Error


BadRequest = _error(400, "BadRequest")
Unauthorized = _error(401, "Unauthorized")
NotFound = _error(404, "NotFound")
MethodNotAllowed = _error(405, "MethodNotAllowed")
AlreadyExists = _error(409, "AlreadyExists")
Conflict = _error(409, "Conflict")
UnsupportedMediaType = _error(415, "UnsupportedMediaType")
Invalid = _error(422, "Invalid")

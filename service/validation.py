"""The error the service layer raises for requests it cannot serve, and input checks."""

MAX_QUERY_CHARS = 2000
MAX_NAME_CHARS = 100  # region, department, source and other short names


class KnowledgeBaseError(Exception):
    """A request the knowledge base cannot serve; the message is for the user, in Chinese."""


class NotBuiltError(KnowledgeBaseError):
    """A feature of the contract that this version does not have yet (HTTP 501)."""


class NotFoundError(KnowledgeBaseError):
    """The document, chunk, department or job asked for is not there (HTTP 404)."""


def validate_query(query: str) -> str:
    query = (query or "").strip()
    if not query:
        raise KnowledgeBaseError("问题不能为空")
    if len(query) > MAX_QUERY_CHARS:
        raise KnowledgeBaseError(f"问题太长({len(query)} 字),请控制在 {MAX_QUERY_CHARS} 字以内")
    return query

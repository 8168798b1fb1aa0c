# The identity-graph API. Built by docker-compose.yml, which points it at Neo4j.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
# identity_graph/api and identity_graph/cypher are links to these two.
COPY identity_graph ./identity_graph
COPY api ./api
COPY cypher ./cypher
RUN pip install . && useradd --create-home --uid 10001 app
USER app
WORKDIR /home/app

# Inside the container the API listens on every interface, so that the port can be
# published; docker-compose.yml publishes it on the host's loopback only. Every route but
# the probes, /metrics and the docs needs an API key (see README, "Operations").
EXPOSE 8000
# Ready, not merely alive: /readyz answers 503 while the store does not answer.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"
# JSON lines on stderr (docker logs), one per request, with request IDs; no identifiers.
CMD ["identity-graph", "serve", "--host", "0.0.0.0", "--port", "8000", "--log-format", "json"]

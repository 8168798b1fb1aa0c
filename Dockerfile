# The identity-graph API. Built by docker-compose.yml, which points it at Neo4j.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY identity_graph ./identity_graph
COPY api ./api
RUN pip install . && useradd --create-home --uid 10001 app
USER app
WORKDIR /home/app

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["identity-graph", "serve", "--host", "0.0.0.0", "--port", "8000"]

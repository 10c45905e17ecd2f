# The Suyuan application image (API, gateway, migrations, broker-sync): locked dependencies via uv.
# Base image pinned by version (bump deliberately; add @sha256:<digest> where you can resolve it).
FROM python:3.11.11-slim-bookworm
ENV UV_PROJECT_ENVIRONMENT=/app/.venv PYTHONUNBUFFERED=1
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock README.md ./
COPY traceability traceability
COPY gateway gateway
COPY devices devices
COPY label_printing label_printing
COPY api api
RUN uv sync --frozen --no-dev
# /data (TRACE_DATA_DIR: the log key, device keys) belongs to the user the services run as;
# /broker-config (broker-sync writes, Mosquitto reads) is group 1883, Mosquitto's group.
RUN mkdir -p /data /broker-config \
    && chown 1000:1000 /data && chmod 0700 /data \
    && chown 1000:1883 /broker-config && chmod 2750 /broker-config
ENV PATH=/app/.venv/bin:$PATH
USER 1000:1000
CMD ["tracectl", "serve", "--host", "0.0.0.0"]

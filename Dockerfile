# The Suyuan application image (API, gateway, migrations): locked dependencies via uv.
FROM python:3.11-slim
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
ENV PATH=/app/.venv/bin:$PATH
USER 1000:1000
CMD ["tracectl", "serve", "--host", "0.0.0.0"]

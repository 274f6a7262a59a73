# syntax=docker/dockerfile:1
# One image for every role: the Kratix pipelines (Kratix sets `command` to a console script) and the
# services. The builder turns the source into wheels; the runtime installs them and nothing else.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The build context is an allowlist (.dockerignore): pyproject.toml, constraints.txt, README.md and the
# packages. Dependencies are the exact versions CI tested (constraints.txt).
COPY . .
# Our wheel plus wheels of its dependencies, so the runtime stage installs offline from /wheels.
RUN pip wheel --constraint constraints.txt --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels foundry-platform
RUN groupadd --system --gid 10001 foundry \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/foundry --create-home \
       --shell /usr/sbin/nologin foundry
# Numeric, so the kubelet can verify `runAsNonRoot: true` in the Promise pipelines.
USER 10001:10001
WORKDIR /home/foundry
CMD ["foundry-platform", "--help"]

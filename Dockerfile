# syntax=docker/dockerfile:1
# One Dockerfile, a target per role, all sharing the `builder` and `runtime` stages:
#   docker build --target pipelines     -t <registry>/foundry-platform:<version> .
#   docker build --target monitor       -t <registry>/foundry-platform-monitor:<version> .
#   docker build --target standby-page  -t <registry>/foundry-platform-standby-page:<version> .
#   docker build --target discord-bot   -t <registry>/foundry-platform-discord-bot:<version> .
# The version is pyproject.toml's `version` (nowhere else); `make images REGISTRY=... ` tags with it.
# The builder turns the source into wheels; the runtime installs them offline and nothing else (no
# compiler, no pip cache, no network at start-up).

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The build context is an allowlist (.dockerignore): pyproject.toml, constraints.txt, README.md and the
# packages. Dependencies are the exact versions CI tested (constraints.txt).
COPY . .
# Our wheel plus wheels of its dependencies, so the runtime stage installs offline from /wheels.
RUN pip wheel --constraint constraints.txt --wheel-dir /wheels .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=constraints.txt,target=/tmp/constraints.txt \
    pip install --no-index --find-links=/wheels --constraint /tmp/constraints.txt foundry-platform
RUN groupadd --system --gid 10001 foundry \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/foundry --create-home \
       --shell /usr/sbin/nologin foundry
# Numeric, so the kubelet can verify `runAsNonRoot: true` in the Promise pipelines and Deployments.
USER 10001:10001
WORKDIR /home/foundry

# The monitor: /healthz and /metrics on 9090.
FROM runtime AS monitor
EXPOSE 9090
ENTRYPOINT ["foundry-platform", "monitor"]

# The standby page on 8080 (behind the Gateway's standby route).
FROM runtime AS standby-page
EXPOSE 8080
ENTRYPOINT ["foundry-platform", "standby-page"]

# The Discord bot: /healthz on 8080; DISCORD_TOKEN comes from a Secret.
FROM runtime AS discord-bot
EXPOSE 8080
ENTRYPOINT ["foundry-platform", "discord-bot"]

# Last, so a plain `docker build .` gives the image the Promises reference.
# Kratix pipelines: each container's `command` is one of the foundry-*-configure/-delete scripts.
FROM runtime AS pipelines
CMD ["foundry-platform", "--help"]

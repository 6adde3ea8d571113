# token-shim's container image (README, "Run it in a container"): `docker build .`
#
# BASE_IMAGE: any image with python3 >= 3.11 and its venv module; both stages use it, so the
# virtual environment's interpreter link stays valid. The tests build on a Debian base they
# make with debootstrap (scripts/build-container-base.sh), where no registry is reachable.
# Behind a TLS-intercepting proxy, give pip the proxy's CA as a build secret (never a layer):
#   docker build --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt .
# No `# syntax=` line: it would make BuildKit pull a frontend image; the built-in one has
# RUN --mount.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/token-shim
WORKDIR /src
COPY pyproject.toml setup.py ./
# The dependencies alone first: a change to the code reuses this layer.
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' >/tmp/requirements.txt \
    && /opt/token-shim/bin/pip install -q -r /tmp/requirements.txt
COPY shim shim
COPY schemas schemas
COPY container/healthcheck.py /opt/token-shim/bin/token-shim-healthcheck
COPY container/trim_venv.py /tmp/
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && /opt/token-shim/bin/pip install -q --no-deps . \
    && /opt/token-shim/bin/pip uninstall -q -y pip setuptools \
    && /opt/token-shim/bin/python /tmp/trim_venv.py \
    && chmod 0755 /opt/token-shim/bin/token-shim-healthcheck \
    && /opt/token-shim/bin/token-shim serve --help >/dev/null

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="token-shim" \
      org.opencontainers.image.description="Rancher-compatible API tokens and token settings (v3, Terraform and kube faces)"
RUN groupadd --gid 10001 token-shim \
    && useradd --no-log-init --no-create-home --uid 10001 --gid 10001 --home-dir /data \
       --shell /usr/sbin/nologin token-shim \
    && mkdir /data && chown 10001:10001 /data && chmod 0700 /data
COPY --from=build /opt/token-shim /opt/token-shim
# The listen address is in the environment, not in CMD: arguments given to `docker run`
# (extra flags of `token-shim serve`) replace CMD and would lose it.
ENV PATH=/opt/token-shim/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/data \
    TOKEN_SHIM_HOST=0.0.0.0 \
    TOKEN_SHIM_PORT=8080 \
    TOKEN_SHIM_DB=sqlite:////data/token-shim.db \
    TOKEN_SHIM_DATA_DIR=/data
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["token-shim-healthcheck"]
ENTRYPOINT ["token-shim", "serve"]

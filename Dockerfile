# pmsync as a container: for a Kubernetes CronJob or any scheduler.
# The config comes in as a file (PMSYNC_CONFIG), the secrets as environment variables; the
# store is a PostgreSQL URL in the config (no disk needed) or SQLite on the /state volume.
# Built and run without Docker (a stand-in base from Debian packages) by .ci/image-check.
FROM python:3.12-slim
RUN useradd --create-home --uid 10001 pmsync && mkdir /state && chown pmsync /state
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src src
COPY plugins plugins
COPY reports reports
RUN pip install --no-cache-dir '.[postgres]' && rm -rf /src
USER pmsync
WORKDIR /state
VOLUME /state
ENV PMSYNC_CONFIG=/etc/pmsync/pmsync.toml
ENTRYPOINT ["pmsync"]
CMD ["run"]

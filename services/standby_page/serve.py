"""`foundry-platform standby-page`: parse arguments, build the store, serve with uvicorn.

Uvicorn stops cleanly on SIGTERM (finishes requests in flight, then exits 0); the store's refresh
thread stops after it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from foundry_lib.kube import KubeAPI, KubeObject

SECRET_ENV = "STANDBY_PAGE_SECRET"  # noqa: S105 (the variable's name, not a secret)


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")  # noqa: S104
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--kubeconfig",
        help="kubeconfig file, used even in a pod (default: in-cluster, then $KUBECONFIG, ~/.kube/config)",
    )
    parser.add_argument("--state", type=Path, help="serve the simulator's cluster in this folder instead")
    parser.add_argument(
        "--refresh", type=float, default=2.0, help="seconds between reads of the cluster (default 2)"
    )
    parser.add_argument(
        "--start-timeout", type=float, default=600.0, help="seconds before a start counts as failed"
    )
    parser.add_argument(
        "--trust-forwarded-for",
        action="store_true",
        help="rate-limit by the first X-Forwarded-For address (only behind a proxy that sets it)",
    )
    return parser


def serve(
    args: argparse.Namespace,
    kube_factory: Callable[[str | None], KubeAPI],
    simulator: Callable[[Path], tuple[Callable[[], KubeAPI], Callable[[KubeObject], None]]],
) -> int:
    """Run until SIGTERM/SIGINT. The caller injects how to reach a cluster and the simulator."""
    # Imported here: every `foundry-platform` command builds this parser, few serve the page.
    import uvicorn

    from services.standby_page.app import create_app
    from services.standby_page.settings import Settings
    from services.standby_page.store import KubeStore, SimulatorStore, Store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("standby-page")
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        log.info("%s is not set: CSRF tokens are signed with a per-process key", SECRET_ENV)
    settings = Settings(
        start_timeout_seconds=args.start_timeout, trust_forwarded_for=args.trust_forwarded_for
    )
    if secret:
        settings = replace(settings, secret=secret)
    store: Store
    kube_store: KubeStore | None = None
    if args.state is not None:
        if not (args.state / "objects").is_dir():
            print(
                f"standby-page: {args.state} holds no simulated cluster (run `make demo` first)",
                file=sys.stderr,
            )
            return 2
        load, apply = simulator(args.state)
        store = SimulatorStore(load, apply)
        log.info("serving the simulated cluster in %s", args.state)
    else:
        kube_store = KubeStore(kube_factory(args.kubeconfig), interval=args.refresh)
        kube_store.start()
        store = kube_store
    config = uvicorn.Config(
        create_app(store, settings),
        host=args.host,
        port=args.port,
        server_header=False,
        date_header=False,
        proxy_headers=False,
        limit_concurrency=200,
        h11_max_incomplete_event_size=16 * 1024,
        log_config=None,
        access_log=False,
    )
    log.info("listening on %s:%d", args.host, args.port)
    # Uvicorn drains requests on SIGTERM, then raises the signal again under the handler it found:
    # this one makes the stop a clean exit 0 (a pod's normal termination), not death by signal.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        uvicorn.Server(config).run()
    finally:
        if kube_store is not None:
            kube_store.stop()
    log.info("stopped")
    return 0

"""Run every benchmark and print its figures."""

from __future__ import annotations

from benchmarks import license_scale, pipeline_process


def main() -> None:
    license_scale.main()
    pipeline_process.main()


if __name__ == "__main__":
    main()

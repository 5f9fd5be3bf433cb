"""Run every benchmark and print its figures (``make bench``)."""

from bench import earn, evaluate, pull, push, sale, scan, settle, startup
from bench.load.__main__ import short as load_short


def main() -> None:
    for index, benchmark in enumerate((earn, sale, evaluate, push, scan, pull, settle, startup)):
        if index:
            print()
        benchmark.main()
    print()
    load_short()


if __name__ == "__main__":
    main()

"""Run every benchmark and print its figures (``make bench``)."""

from bench import earn, evaluate, pull, push, sale, scan, settle, startup


def main() -> None:
    for index, benchmark in enumerate((earn, sale, evaluate, push, scan, pull, settle, startup)):
        if index:
            print()
        benchmark.main()


if __name__ == "__main__":
    main()

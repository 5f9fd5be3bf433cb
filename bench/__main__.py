"""Run every benchmark and print its figures (``make bench``)."""

from bench import earn


def main() -> None:
    earn.main()


if __name__ == "__main__":
    main()

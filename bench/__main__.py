"""Run every benchmark and print its figures (``make bench``)."""

from bench import earn, push


def main() -> None:
    earn.main()
    print()
    push.main()


if __name__ == "__main__":
    main()

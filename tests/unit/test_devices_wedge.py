"""A keyboard-wedge burst is told from a person typing by the speed of the keys."""

from __future__ import annotations

from devices.wedge import WedgeDetector, is_scanner_burst


def type_line(detector: WedgeDetector, text: str, start: float, gap: float) -> float:
    at = start
    for character in text:
        detector.key(character, at)
        at += gap
    return at


def test_thirteen_digits_at_five_milliseconds_each_are_a_scan() -> None:
    detector = WedgeDetector()
    at = type_line(detector, "2900000000013", 10.0, 0.005)
    line = detector.enter(at)
    assert (line.text, line.burst, line.from_scanner) == ("2900000000013", "2900000000013", True)
    assert line.mean_gap is not None and line.mean_gap < 0.01


def test_a_person_typing_a_card_number_is_not_a_scan() -> None:
    detector = WedgeDetector()
    at = type_line(detector, "2900000000013", 10.0, 0.15)
    line = detector.enter(at)
    assert line.text == "2900000000013"
    assert not line.from_scanner


def test_a_fast_typist_is_still_a_person() -> None:
    detector = WedgeDetector()
    line = detector.enter(type_line(detector, "12345678", 0.0, 0.06))
    assert not line.from_scanner


def test_a_scan_after_a_few_typed_keys_is_recognised_as_the_tail_of_the_line() -> None:
    detector = WedgeDetector()
    at = type_line(detector, "12", 0.0, 0.2)
    at = type_line(detector, "2900000000013", at + 1.0, 0.004)
    line = detector.enter(at)
    assert line.text == "122900000000013"
    assert line.burst == "2900000000013"
    assert line.from_scanner


def test_a_burst_shorter_than_the_minimum_is_not_a_scan() -> None:
    detector = WedgeDetector(min_length=4)
    line = detector.enter(type_line(detector, "123", 0.0, 0.002))
    assert not line.from_scanner


def test_backspace_and_reset_forget_characters() -> None:
    detector = WedgeDetector()
    detector.key("9", 0.0)
    detector.backspace()
    assert detector.enter(0.1).text == ""
    detector.key("9", 1.0)
    detector.reset()
    assert detector.enter(1.1).text == ""


def test_each_enter_starts_a_new_line() -> None:
    detector = WedgeDetector()
    detector.enter(type_line(detector, "AAAA", 0.0, 0.003))
    line = detector.enter(type_line(detector, "BBBB", 5.0, 0.003))
    assert line.text == "BBBB"


def test_the_burst_rule_on_raw_timestamps() -> None:
    assert is_scanner_burst([0.0, 0.01, 0.02, 0.03, 0.04])
    assert not is_scanner_burst([0.0, 0.01, 0.02, 0.03])
    assert not is_scanner_burst([0.0, 0.05, 0.10, 0.15, 0.20])

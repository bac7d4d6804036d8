import pytest

from ivr.registration.mobiles import last_four, mobile_from_keypad, parse_moroccan_mobile


@pytest.mark.parametrize(
    "text",
    [
        "0612345678",
        "06 12 34 56 78",
        "06-12-34-56-78",
        "06.12.34.56.78",
        "+212612345678",
        "00212612345678",
        "212612345678",
        "+212 6 12 34 56 78",
        "+212 (0)6 12 34 56 78",
        " 0612345678 ",
    ],
)
def test_usual_forms_of_a_moroccan_mobile_give_its_e164(text):
    assert parse_moroccan_mobile(text) == "+212612345678"


def test_a_07_mobile_is_a_mobile():
    assert parse_moroccan_mobile("07 12 34 56 78") == "+212712345678"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0522123456",
        "+212522123456",
        "0812345678",
        "+33612345678",
        "061234567",
        "06123456789",
        "0612ABCDEF",
        "0612345678 ext 3",
        "not a number",
    ],
)
def test_landlines_foreign_and_invalid_numbers_are_not_moroccan_mobiles(text):
    assert parse_moroccan_mobile(text) is None


def test_ten_keyed_digits_starting_06_or_07_give_the_e164():
    assert mobile_from_keypad("0612345678") == "+212612345678"
    assert mobile_from_keypad("0712345678") == "+212712345678"


@pytest.mark.parametrize("digits", ["", "612345678", "06123456789", "0522123456", "212612345678", "06 12345678"])
def test_keyed_digits_that_are_not_a_10_digit_mobile_are_refused(digits):
    assert mobile_from_keypad(digits) is None


def test_the_last_four_digits_are_read_back():
    assert last_four("+212612345678") == "5678"


@pytest.mark.parametrize(
    "national",
    [
        "612345678",
        "661000001",
        "700000001",
        "729999999",
        "739999999",
        "760000000",
        "770000001",
        "799999999",
        "689999999",
        "683000000",
    ],
)
@pytest.mark.parametrize("form", ["0{}", "+212{}", "00212{}", "212{}", "+212 (0){}"])
def test_the_quick_path_for_usual_forms_agrees_with_a_full_phonenumbers_parse(national, form):
    import phonenumbers

    text = form.format(national)
    number = phonenumbers.parse(text, "MA")
    is_mobile = phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) == 1
    assert parse_moroccan_mobile(text) == (f"+212{national}" if is_mobile else None)

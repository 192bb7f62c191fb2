from datetime import date

import pytest

from registry.validators import registration_code_errors, rescue_code_error

TODAY = date(2026, 11, 29)
VALID = "31105104022012070003"


def errors(code, **kw):
    return registration_code_errors(code, today=TODAY, **kw)


def test_a_valid_code_has_no_errors():
    assert errors(VALID, elevator_type="3110", district_code="510402") == []


def test_city_level_division_code_is_accepted_for_any_district():
    assert errors("31105104002012070003", elevator_type="3110", district_code="510422") == []


@pytest.mark.parametrize(
    "code, expected",
    [
        ("", "注册代码不能为空。"),
        ("3110510402201207000", "注册代码应为20位数字，当前为19位。"),
        ("311051040220120700031", "注册代码应为20位数字，当前为21位。"),
        ("31105104022012O70003", "注册代码只能包含数字，第15位是“O”。"),
        ("3110 510402201207000", "注册代码只能包含数字，第5位是“ ”。"),
    ],
)
def test_length_and_characters(code, expected):
    assert errors(code) == [expected]


def test_unknown_category_code():
    [msg] = errors("31405104022012070003")
    assert "类别代码“3140”不是电梯的类别代码" in msg and "3110" in msg


def test_category_must_match_elevator_type():
    [msg] = errors("33105104022012070003", elevator_type="3110")
    assert msg == "类别代码“3310”（自动扶梯）与电梯类型“曳引驱动乘客电梯”（3110）不符。"


@pytest.mark.parametrize("category", ["3110", "3120", "3130", "3210", "3220", "3310", "3320", "3410", "3420", "3430"])
def test_every_known_category_is_accepted_with_its_type(category):
    assert errors(f"{category}5104022012070003", elevator_type=category) == []


def test_division_outside_panzhihua():
    [msg] = errors("31105101012012070003")
    assert "行政区划代码“510101”不是攀枝花市或其区县的代码" in msg


def test_division_must_match_the_elevators_district():
    [msg] = errors("31105104032012070003", district_code="510402")
    assert msg == "行政区划代码“510403”（西区）与电梯所在区县（东区）不符。"


@pytest.mark.parametrize(
    "yearmonth, ok",
    [
        ("197912", False),
        ("198001", True),
        ("202611", True),
        ("202612", False),
        ("202701", False),
    ],
)
def test_year_and_month_edges(yearmonth, ok):
    result = errors(f"3110510402{yearmonth}0003")
    assert (result == []) is ok, result


@pytest.mark.parametrize("month", ["00", "13"])
def test_impossible_month(month):
    assert errors(f"31105104022012{month}0003") == [f"注册月份“{month}”不合理，应为01至12。"]


def test_year_out_of_range_message_names_the_range():
    assert errors("31105104021979120003") == ["注册年份“1979”不合理，应在1980年至2026年之间。"]


def test_sequence_zero_is_refused():
    assert errors("31105104022012070000") == ["顺序号不能为0000。"]


def test_several_problems_are_all_reported():
    assert len(errors("33105101012012130000", elevator_type="3110")) == 4


@pytest.mark.parametrize(
    "code, ok", [("1234", False), ("12345", True), ("123456", True), ("1234567", False), ("12a45", False), ("", False)]
)
def test_rescue_code_is_5_or_6_digits(code, ok):
    assert (rescue_code_error(code) is None) is ok

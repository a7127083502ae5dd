from care_services.privacy import mask_account, mask_id_number, mask_name


def test_names_keep_only_the_surname():
    assert mask_name("张三") == "张*" and mask_name("李小明") == "李**"
    assert mask_name("欧阳娜娜") == "欧阳**" and mask_name("欧阳") == "欧*"
    assert mask_name("王") == "*" and mask_name(None) == "*" and mask_name("  ") == "*"


def test_accounts_and_id_numbers_keep_little():
    assert mask_account("6222 0212 3456 7890") == "************7890"
    assert mask_account("123") == "***" and mask_account(None) == ""
    assert mask_id_number("36090219600501123X") == "360902**********3X"
    assert "19600501" not in mask_id_number("36090219600501123X")

import shutil

import pytest

from subsidy_rules.parameters import PARAMETER_ROOT, ParameterSet


@pytest.fixture
def parameter_tree(tmp_path):
    """A copy of the shipped parameters to which a test adds a county's own file."""
    root = tmp_path / "parameters"
    shutil.copytree(PARAMETER_ROOT, root)

    def with_files(files: dict[str, str]) -> ParameterSet:
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return ParameterSet.load(root)

    return with_files


def override(name_path: list[str], value, kind="floor", date="2022-11-09") -> str:
    """YAML for one overriding leaf, e.g. override(['per_child_month'], 300)."""
    indent = ""
    lines = []
    for key in name_path:
        lines.append(f"{indent}{key}:")
        indent += "  "
    lines += [
        f"{indent}description: county override",
        f"{indent}unit: CNY",
        f"{indent}kind: {kind}",
        f"{indent}reference: {{document: 县级文件, clause: 第1条, quote: 县级标准}}",
        f"{indent}values:",
        f"{indent}  {date}: {{value: {value}}}",
    ]
    return "\n".join(lines) + "\n"

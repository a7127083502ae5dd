"""The schemes, one module per policy document, ordered as the document's clauses.

Importing this package registers every scheme with the engine's registry (subsidy_rules.engine.REGISTRY); the
registry is the one list of scheme ids. To find a rule, open the module of its document:

- ``jiujiang_2022_113``: 九府办字[2022]113号 附件2 第3项, 附件3 第13–23项
- ``yichun_2023_20``: 宜府办发〔2023〕20号 三、四、五

Schemes declared elsewhere (a directory or an installed package) are loaded by ``subsidy_rules.plugins``.
"""

from subsidy_rules.schemes import jiujiang_2022_113, yichun_2023_20  # noqa: F401  (registers the schemes)
from subsidy_rules.schemes.jiujiang_2022_113 import *  # noqa: F401,F403  (names importable as before)
from subsidy_rules.schemes.yichun_2023_20 import *  # noqa: F401,F403
from subsidy_rules.plugins import load_plugins  # noqa: E402

load_plugins()  # schemes declared outside the package (CARECALC_SCHEME_PATH, entry points): after the shipped ones

"""Chinese first, English on request (?lang=en, remembered in a cookie)."""

from __future__ import annotations

import datetime as dt
import functools

from flask import Flask, g, jsonify, render_template, request

from care_services.vocabulary import ENGLISH, UNIT

LANGUAGES = ("zh", "en")

TEXT = {
    "title": ("carecalc 一老一小服务测算", "carecalc elderly & childcare services"),
    "counties": ("县（市、区）概况", "County overview"),
    "code": ("行政区划代码", "Code"),
    "population": ("常住人口", "Residents"),
    "aged_60_plus": ("60岁及以上", "Aged 60+"),
    "share_60_plus": ("老龄化率", "Share 60+"),
    "aged_80_plus": ("80岁及以上", "Aged 80+"),
    "under_3": ("3岁以下（估算）", "Under 3 (estimate)"),
    "townships": ("乡级单位数", "Township-level units"),
    "total": ("合计", "Total"),
    "supply": ("供给现状", "Current supply"),
    "targets": ("规划指标", "Plan targets"),
    "projects": ("项目清单", "Project list"),
    "elderly_projects": ("养老项目", "Elderly-care projects"),
    "childcare_projects": ("托育项目", "Childcare projects"),
    "beds_or_slots": ("新增床位（托位）", "Beds or places added"),
    "investment": ("总投资（万元）", "Investment (10k CNY)"),
    "templates": ("导入模板下载", "Import templates"),
    "template.divisions": ("行政区划", "Administrative divisions"),
    "template.population": ("人口", "Population"),
    "template.plan_indicators": ("规划指标", "Plan indicators"),
    "template.supply": ("供给现状", "Current supply"),
    "template.elderly_institutions": ("养老机构", "Elderly-care institutions"),
    "template.childcare_institutions": ("托育机构", "Childcare institutions"),
    "template.projects": ("项目清单", "Project list"),
    "template.people": ("申请人", "Applicants"),
    "source": ("数据来源", "Source"),
    "elderly_institutions": ("养老机构", "Elderly-care institutions"),
    "elderly_beds": ("养老床位", "Elderly-care beds"),
    "nursing_beds": ("护理型床位", "Nursing beds"),
    "childcare_institutions": ("托育机构", "Childcare institutions"),
    "childcare_slots": ("托位", "Childcare places"),
    "no_data": ("数据库中尚无示例数据，请运行 make run 或 carecalc sample load。",
                "No data yet: run make run or carecalc sample load."),
    "language": ("English", "中文"),
    "indicator": ("指标", "Indicator"),
    "domain": ("类别", "Domain"),
    "project_count": ("项目数", "Projects"),
    "baseline": ("2021年基期值", "2021 baseline"),
    "target_2023": ("2023年规划值", "2023 target"),
    "target_2025": ("2025年规划值", "2025 target"),
    "skip_to_main": ("跳到主要内容", "Skip to the main content"),
    "menu": ("菜单", "Menu"),
    "main_menu": ("主菜单", "Main menu"),
    "nav_check": ("资格测算", "Eligibility"),
    "nav_cases": ("申请办理", "Cases"),
    "nav_budget": ("预算测算", "Budget"),
    "nav_planning": ("设施规划", "Planning"),
    "nav_parameters": ("政策参数", "Parameters"),
    "login": ("登录", "Log in"),
    "logout": ("退出登录", "Log out"),
    "login_wrong": ("用户名或密码错误", "Wrong username or password"),
    "login_missing": ("请填写用户名和密码", "Enter your username and password"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "check_intro": ("选择补贴项目，填写已知情况即可预先测算；不知道的项目留空，系统会告诉您还缺哪些信息。",
                    "Pick a scheme and fill in what you know; leave unknowns blank and the answer lists what is missing."),
    "fix_fields": ("以下内容需要修改：", "Please correct:"),
    "this_field": ("本项", "This field"),
    "back_home": ("返回首页", "Back to the home page"),
    "where_when": ("地区和日期", "Where and when"),
    "jurisdiction": ("县（市、区）", "County"),
    "date": ("日期", "Date"),
    "facts": ("申请情况", "Facts"),
    "unknown_hint": ("不确定的项目请留空或选“未知”。", "Leave a fact blank (or 'unknown') if you do not know it."),
    "unknown": ("未知", "unknown"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "check": ("测算", "Check"),
    "eligible": ("符合条件", "Eligible"),
    "not_eligible": ("不符合条件", "Not eligible"),
    "missing_info": ("信息不全，暂无法判断", "Missing information"),
    "not_in_force": ("该政策在此地或此日期不适用", "The policy is not in force here"),
    "not_applicable": ("不适用", "n/a"),
    "warnings": ("提示", "Warnings"),
    "missing_facts": ("还需要", "Still needed"),
    "criterion": ("条件", "Criterion"),
    "facts_used": ("依据的情况", "Facts used"),
    "clause": ("政策条款", "Clause"),
    "amount": ("补贴金额", "Amount"),
    "funding": ("资金来源", "Funding"),
    "parameters_used": ("使用的参数", "Parameters used"),
    "submit_application": ("提交申请", "Submit as application"),
    "login_to_apply": ("登录后可将此测算提交为正式申请。", "Log in to submit this as an application."),
    "level.province": ("省级", "province"),
    "level.city": ("市级", "city"),
    "level.county": ("县级", "county"),
    "level.integrated": ("统筹整合", "integrated funds"),
    "level.finance_fallback": ("财政兜底", "finance fallback"),
    "new_application": ("新建申请", "New application"),
    "my_queue": ("待我办理", "My queue"),
    "queue_empty": ("暂无待办。", "Nothing waiting for you."),
    "all_cases": ("辖区内的申请", "Cases in my jurisdiction"),
    "all_states": ("全部状态", "All states"),
    "filter": ("筛选", "Filter"),
    "applicant": ("申请人", "Applicant"),
    "scheme": ("补贴项目", "Scheme"),
    "state": ("状态", "State"),
    "submitted_on": ("申请日期", "Submitted"),
    "division": ("户籍地或所在地", "Division"),
    "downloads": ("下载", "Downloads"),
    "notice": ("公示名单", "Public notice"),
    "community": ("村（社区）", "Village / community"),
    "township": ("乡镇（街道）", "Township"),
    "payroll": ("发放名册", "Payment roll"),
    "download": ("下载", "Download"),
    "payroll_open": ("查看名册", "Open the roll"),
    "recipients": ("人数", "Recipients"),
    "roll_status.draft": ("草稿（未关账）", "draft (not closed)"),
    "roll_status.closed": ("已关账", "closed"),
    "roll_not_generated": ("该月名册尚未生成。", "This month's roll has not been generated yet."),
    "roll_generate": ("生成（更新）名册", "Generate (update) the roll"),
    "roll_close": ("关账", "Close the month"),
    "roll_problem": ("待核查", "To review"),
    "roll_corrections": ("更正：追回已关账月份多发的补贴", "Corrections: recoveries for closed months"),
    "corrected_month": ("更正的月份", "Month corrected"),
    "roll_summary_note": ("各县（市、区）名册的汇总，不是另一份发放名册：每人每月只在其所属县的名册中发放。",
                          "A summary of the county rolls, not a second payment list: each person is paid for a "
                          "month on the roll of their own county only."),
    "service.home_care": ("居家照护", "home care"),
    "service.day_care": ("日间照料", "day care"),
    "service.institutional_care": ("机构托养", "institutional care"),
    "name": ("名称", "Name"),
    "id_number": ("身份证号", "ID number"),
    "person_name": ("姓名", "Name"),
    "certificate": ("残疾人证号", "Disability certificate"),
    "area": ("城乡", "Urban / rural"),
    "dibao_household": ("低保户", "低保 household"),
    "at_risk_of_poverty": ("易返贫致贫人口", "At risk of poverty"),
    "tekun_supported": ("已纳入特困供养", "In 特困 support"),
    "how_applied": ("申请方式", "How applied"),
    "applied_by": ("申请人身份", "Applied by"),
    "proxy_name": ("代申请人姓名", "Applying on behalf: name"),
    "proxy_id": ("代申请人身份证号", "Proxy ID number"),
    "relation": ("与申请人关系", "Relation"),
    "phone": ("联系电话", "Phone"),
    "service": ("服务形式", "Service"),
    "institution_type": ("托养机构类型", "Institution type"),
    "carer_or_institution": ("照护人或机构名称", "Carer or institution"),
    "institution": ("机构", "Institution"),
    "institution_name": ("机构名称", "Institution name"),
    "institution_code": ("机构编号", "Institution code"),
    "bank": ("收款账户", "Bank account"),
    "account_name": ("户名", "Account name"),
    "bank_name": ("开户行", "Bank"),
    "bank_account": ("账号", "Account number"),
    "case": ("申请", "Case"),
    "case_created": ("申请已提交。", "Application submitted."),
    "payee": ("收款人", "Payee"),
    "awaiting": ("待办环节", "Waiting for"),
    "rejection_reason": ("未通过原因", "Reason for rejection"),
    "your_step": ("您可办理", "Your step"),
    "doctor": ("评估医生", "Assessing doctor"),
    "failed_activities": ("不能达到的指标", "Activities not achieved"),
    "adl_failed": ("不能自理的指标（打×）：", "Activities the person cannot do:"),
    "adl_eating": ("吃饭", "eating"),
    "adl_dressing": ("穿衣", "dressing"),
    "adl_transfer": ("上下床", "getting in and out of bed"),
    "adl_toileting": ("如厕", "toileting"),
    "adl_walking_indoors": ("室内行走", "walking indoors"),
    "adl_bathing": ("洗澡", "bathing"),
    "two_subsidies_month": ("统筹整合：残疾人两项补贴（元/月）", "Integrated: two disability allowances (CNY/month)"),
    "dibao_month": ("统筹整合：最低生活保障金（元/月）", "Integrated: 低保 (CNY/month)"),
    "elderly_allowance_month": ("统筹整合：高龄津贴（元/月）", "Integrated: old-age allowance (CNY/month)"),
    "other_care_benefits_month": ("统筹整合：其它生活和护理类补贴（元/月）", "Integrated: other living or care benefits (CNY/month)"),
    "exit_reason": ("退出原因", "Exit reason"),
    "reason_for_applicant": ("原因（申请人可见）", "Reason (shown to the applicant)"),
    "rules_now": ("规则测算（最近一步）", "What the rules say (latest step)"),
    "history": ("办理记录与审计日志", "History and audit trail"),
    "when": ("时间（北京时间）", "When (Beijing time)"),
    "who": ("办理人", "Who"),
    "step": ("环节", "Step"),
    "from_to": ("办理后状态", "State after"),
    "reason": ("原因", "Reason"),
    "parameter_version": ("参数版本", "Parameter version"),
    "role.township_reviewer": ("乡镇初审", "township reviewer"),
    "role.health_assessor": ("卫健失能评估", "health assessor"),
    "role.civil_affairs_reviewer": ("民政审核", "civil-affairs reviewer"),
    "role.disability_federation_reviewer": ("残联审核", "disability federation reviewer"),
    "role.rural_revitalisation_officer": ("乡村振兴核定", "rural revitalisation officer"),
    "role.health_commission_reviewer": ("卫健审核", "health commission reviewer"),
    "role.finance_approver": ("财政审批", "finance approver"),
    "role.administrator": ("管理员", "administrator"),
    "action.submit": ("提交申请", "submitted"),
    "action.township_review": ("乡镇初审通过", "township review"),
    "action.assess": ("失能评估", "ADL assessment"),
    "action.sector_review": ("审核通过", "sector review"),
    "action.identity_check": ("核定身份", "identity check"),
    "action.approve": ("审批通过", "approve"),
    "action.publish_notice": ("发布公示", "publish the notice"),
    "action.activate": ("公示期满，开始发放", "notice over: start payments"),
    "action.exit": ("退出", "exit"),
    "action.reject": ("不予通过", "reject"),
    "action.correct_facts": ("更正申请人信息", "correct the applicant's facts"),
    "applicant_facts": ("申请人信息（本申请认定）", "Applicant's facts (as this case holds them)"),
    "hukou_county": ("户籍所在县（市、区）", "Hukou county"),
    "assessed_on": ("评估日期", "Date of the assessment"),
    "exit_date": ("退出事由发生日期（死亡、退出低保、迁出等）", "Date of the event (death, end of subsistence allowance, move)"),
    "previous": ("原为", "was"),
    "corrected": ("更正为", "corrected to"),
    "correction_basis": ("更正依据（如核实的材料）", "Basis of the correction (what was checked)"),
    "correction_hint": ("只填写需要更正的项目；审批后不能再更正，情况变化请办理退出。",
                        "Fill in only what changes; after approval facts are fixed (an exit records a change)."),
    "notice_ends": ("公示期满日", "Notice ends"),
    "server_time_note": ("办理时间以系统时间为准。", "Steps are recorded at the server's time."),
    "unchanged": ("不变", "unchanged"),
    "parameters_intro": ("每个参数都有生效日期、单位和政策原文；“不低于”的标准县级可以提高，不能降低。",
                         "Every parameter is dated, with its unit and quoted clause; a floor (a minimum standard) may be raised by a county, never lowered."),
    "search": ("搜索", "Search"),
    "add_override": ("设置县级标准（只可提高“不低于”的标准）", "Add a county value (floors may only be raised)"),
    "override_reason": ("依据（如县级文件文号）", "Basis (e.g. the county's document)"),
    "save": ("保存", "Save"),
    "county_overrides": ("县级标准", "County values"),
    "parameter": ("参数", "Parameter"),
    "from_date": ("起始日期", "From"),
    "value": ("值", "Value"),
    "basis": ("依据", "Basis"),
    "lifted_to_floor": ("上级标准已提高，现按上级标准执行：", "A floor above has since been raised; in force now: "),
    "no_cases": ("辖区内暂无申请。", "No applications in your jurisdiction yet."),
    "values": ("各时期的值", "Values by date"),
    "kind": ("性质", "Kind"),
    "kind.floor": ("不低于", "floor"),
    "kind.exact": ("确定值", "exact"),
    "kind.range": ("区间", "range"),
    "budget_intro": ("按补贴项目、年度、县和资金层级测算支出；可比较多个方案（如提高补贴标准）。",
                     "Project outlays by scheme, year, county and funding level; compare scenarios."),
    "years": ("测算年度", "Years"),
    "from_year": ("开始年份", "From"),
    "to_year": ("结束年份", "To"),
    "caseload": ("在册对象", "Caseload"),
    "caseload.cases": ("数据库中已审批的申请", "approved cases in the database"),
    "caseload.synthetic": ("合成对象（测试用）", "synthetic recipients (testing)"),
    "caseload.upload": ("上传在册对象表", "upload a caseload workbook"),
    "caseload.none": ("不含", "none"),
    "synthetic_n": ("合成对象人数", "Synthetic recipients"),
    "caseload_file": ("在册对象表（.xlsx）", "Caseload workbook (.xlsx)"),
    "pipeline": ("建设项目", "Facility pipeline"),
    "projects.none": ("不含", "none"),
    "projects.sample": ("九江项目清单（附件4）", "Jiujiang project list (Annex 4)"),
    "projects.upload": ("上传项目表", "upload a projects workbook"),
    "projects_file": ("项目表（.xlsx）", "Projects workbook (.xlsx)"),
    "assumptions": ("测算假设", "Assumptions"),
    "occupancy": ("新增床位入住率", "Occupancy of new beds"),
    "enrolment": ("新增托位入托率", "Enrolment of new places"),
    "growth": ("在册对象年增长率", "Yearly caseload growth"),
    "scenarios": ("比较方案", "Scenarios"),
    "scenario_hint": ("每行调整一个参数，新值按该参数的单位填写（金额填元，比例填百分数，如70表示70%）；方案名称相同的行合为一个方案，"
                      "未填名称的行归入“方案1”。基准方案（现行标准）自动包含，无需填写。",
                      "One parameter change per row, the new value in the parameter's unit (yuan, or per cent for a "
                      "share: 70 means 70%); rows with the same scenario name make one scenario, rows without a name "
                      "go to “Scenario 1”. The baseline (today's standards) is always included."),
    "scenario_yaml": ("高级：用YAML文本填写方案（可选）", "Advanced: scenarios as YAML (optional)"),
    "scenario_yaml_hint": ("与命令行的方案文件格式相同：每个方案一段，多个方案用 --- 分隔；参数用其标识符，比例写小数（0.7）。",
                           "The command line's scenario file format: one document per scenario, separated by ---; "
                           "parameters by their identifiers, shares as fractions (0.7)."),
    "budget_years_hint": ("默认从下一预算年度起测算三年（中期财政规划）；上半年默认从本年度起。",
                          "By default the next budget year and the two after it (the medium-term plan); in the first "
                          "half of a year, from the current year."),
    "budget_form": ("测算设置", "Projection settings"),
    "scenario_row": ("第%d行", "Row %d:"),
    "row_number": ("行", "Row"),
    "change.scenario": ("方案名称", "Scenario name"),
    "change.parameter": ("调整的参数", "Parameter changed"),
    "change.value": ("新值", "New value"),
    "scenario_default_name": ("方案1", "Scenario 1"),
    "choose_parameter": ("（不调整）", "(no change)"),
    "current_value": ("现值：", "now: "),
    "typed_in": ("新值单位：", "new value in "),
    "baseline_scenario": ("基准方案", "Baseline"),
    "total_wan": ("合计（万元）", "Total (10k CNY)"),
    "amount_wan": ("金额（万元）", "Amount (10k CNY)"),
    "effective_date": ("生效日期", "Effective from"),
    "effective_date_hint": ("县级文件规定的施行日期，不早于上级政策施行日期。", "The county document's effective date; not before the policy it raises."),
    "new_value": ("县级标准", "County value"),
    "override_value_hint": ("按参数单位填写：金额填元，比例填百分数（如40表示40%）。", "In the parameter's unit: yuan, or per cent for a share (40 means 40%)."),
    "choose_floor": ("请选择“不低于”的标准", "Choose a floor"),
    "choose_county": ("请选择县（市、区）", "Choose a county"),
    "parameters_list": ("全部参数", "All parameters"),
    "applies_in_heading": ("适用地区", "Applies in"),
    "no_longer_in_force": ("停止执行", "no longer in force"),
    "scenario_totals": ("各方案各年度支出（万元）", "Outlays by scenario and year (10k CNY)"),
    "amounts_in_wan": ("金额单位：万元。", "Amounts in 10,000 CNY."),
    "wan_yuan": ("万元", "10k CNY"),
    "run": ("开始测算", "Run"),
    "running": ("正在运行", "Running"),
    "progress": ("进度", "Progress"),
    "queued": ("排队中…", "Queued…"),
    "refresh": ("刷新查看结果", "Refresh for the result"),
    "download_excel": ("下载Excel报告", "Download the Excel report"),
    "per_scenario": ("各方案年度支出", "Yearly outlays per scenario"),
    "year": ("年度", "Year"),
    "amount_yuan": ("金额（元）", "Amount (CNY)"),
    "level": ("资金层级", "Funding level"),
    "undetermined": ("因缺少事实无法测算的对象·月", "Recipient-months with missing facts"),
    "comparison": ("方案比较", "Scenario comparison"),
    "planning_intro": ("在预算内选择建设项目，使各区划达到每千人托位、普惠托位占比、护理型床位占比等规划目标。",
                       "Choose projects within the budget so districts reach the plan's targets."),
    "inputs": ("输入", "Inputs"),
    "use_sample": ("使用九江示例（区划和附件4项目清单）", "Use the Jiujiang sample"),
    "districts_file": ("区划表（.xlsx）", "Districts workbook (.xlsx)"),
    "plan": ("规划", "Plan"),
    "plan_year": ("规划年份", "Plan year"),
    "budget_total": ("总预算", "Budget"),
    "budget_hint": ("可写“5亿”“50000万”，只写数字时单位为元。", "In yuan; 500000000 or 5e8."),
    "sample_units": ("示例的规划单位", "Planning units of the sample"),
    "objective": ("目标", "Objective"),
    "objective.shortfall": ("缺口最小，再投资最省", "least shortfall, then least cost"),
    "objective.cost": ("达标且投资最省", "meet all targets at least cost"),
    "objective.coverage": ("覆盖最大", "maximal coverage"),
    "objective.distance": ("距离最短", "least distance"),
    "time_limit": ("求解时限（秒）", "Time limit (s)"),
    "required": ("要求", "Required"),
    "targets_to_plan": ("规划目标（九府办字[2022]113号 表1、表2）：",
                        "Targets to plan for (Jiujiang municipal notice [2022] No. 113, tables 1-2 and annex 2):"),
    "before": ("规划前", "Before"),
    "after": ("规划后", "After"),
    "met": ("达标", "Met"),
    "target_area": ("区域", "Area"),
    "project_code": ("项目编号", "Project"),
    "target_value": ("目标值", "Target"),
    "shortfall": ("缺口（床位或托位）", "Shortfall (beds or places)"),
    "targets_unmet": ("未达标的目标", "Targets not met"),
    "targets_met": ("已达标的目标", "Targets met"),
    "all_targets_met": ("全部目标均已达标。", "Every target is met."),
    "districts": ("各区划规划前后", "Districts before and after"),
    "nursing_share": ("护理型床位占比", "Nursing share"),
    "slots_per_1000": ("每千人口托位", "Places per 1,000"),
    "inclusive_share": ("普惠托位占比", "Inclusive share"),
    "chosen_projects": ("选中的项目", "Chosen projects"),
    "cost": ("投资（元）", "Cost (CNY)"),
    "subsidy": ("建设补助（元）", "Construction subsidy (CNY)"),
    # the work queue (cases.html)
    "case_number": ("编号", "No."),
    "verdict": ("规则结论", "Verdict"),
    "verdict.yes": ("符合", "eligible"),
    "verdict.no": ("不符合", "not eligible"),
    "verdict.pending": ("待定", "undecided"),
    "all_schemes": ("全部补贴项目", "All schemes"),
    "all_verdicts": ("全部结论", "All verdicts"),
    "amount_month": ("月补贴（元）", "Monthly amount (CNY)"),
    "days_waiting": ("本环节等待天数", "Days in this step"),
    "cases_truncated": ("共{total}件，显示前{shown}件；请用上方筛选缩小范围。",
                        "{total} cases; the first {shown} are shown: narrow them down with the filters above."),
    "division_pick": ("区划", "Division"),
    "file_format": ("格式", "Format"),
    "format.html": ("网页", "web page"),
    "format.xlsx": ("电子表格", "Excel workbook"),
    "month": ("月份", "Month"),
    "state.submitted": ("已申请，待审核", "submitted"),
    "state.township_reviewed": ("初审通过，待失能评估", "township review passed"),
    "state.assessed": ("已评估，待民政或残联审核", "assessed"),
    "state.sector_reviewed": ("审核通过，待乡村振兴部门核定", "sector review passed"),
    "state.identity_checked": ("已核定身份，待财政审批", "identity checked"),
    "state.approved": ("已审批", "approved"),
    "state.in_notice": ("公示中", "in public notice"),
    "state.active": ("享受中", "receiving payments"),
    "state.exited": ("已退出", "exited"),
    "state.rejected": ("未通过", "rejected"),
    # the case's papers (web/case_forms.py, case_forms_links.html, case_form_*.html)
    "case_forms": ("打印文书", "Printable forms"),
    "case_forms_audited": ("文书含申请人身份证号和银行账号，每次打印或下载都记入审计日志。",
                           "The forms hold the applicant's ID and bank account: each print or download is audited."),
    "form_button.approval.html": ("打印审批表（A4）", "Print the approval form (A4)"),
    "form_button.approval.xlsx": ("下载审批表（电子表格）", "Download the approval form (Excel)"),
    "form_button.rejection.html": ("打印不予批准告知书（A4）", "Print the refusal letter (A4)"),
    "form_button.rejection.xlsx": ("下载不予批准告知书（电子表格）", "Download the refusal letter (Excel)"),
    "case_form": ("文书", "Form"),
    "no_case_forms": ("《审批表》和不予批准告知书只用于困难重度失能残疾人照护和托养申请。",
                      "The approval form and the refusal letter are for disability-care applications only."),
    "form.approval": ("审批表", "approval form"),
    "form.rejection": ("不予批准告知书", "refusal letter"),
    "action.print_form": ("打印或下载文书", "printed or downloaded a form"),
    "print_tools": ("打印", "Printing"),
    "back_to_case": ("返回申请", "Back to the case"),
    "print": ("打印", "Print"),
    "print_hint": ("请用A4纸纵向打印（浏览器菜单中的“打印”）。", "Print on A4 portrait (the browser's Print, or Ctrl+P)."),
    "paper_in_chinese": ("本文书按政策附件的格式以中文填写和打印。",
                         "The paper below is the official form of the policy's annex: it is filled in and printed in "
                         "Chinese, as it is filed, signed and handed to the applicant."),
    "form.annex": ("附件", "Annex"),
    "form.unit": ("单位", "Unit"),
    "form.sex": ("性别", "Sex"),
    "form.age": ("年龄", "Age"),
    "form.disability": ("残疾类别及等级", "Disability and grade"),
    "form.household": ("家庭状况", "Household"),
    "form.address": ("家庭地址", "Address"),
    "form.proxy": ("代申请人信息", "Applying on behalf"),
    "form.bank": ("照护人或托养机构银行账号信息", "Bank account of the carer or institution"),
    "form.applicant_opinion": ("申请人意见", "Applicant's declaration"),
    "form.applicant_sign": ("申请人（监护人或照护机构）签章", "Signature of the applicant (guardian or institution)"),
    "form.not_yet": ("（尚未办理）", "(not yet done)"),
    "form.recorded_by": ("系统记录经办人", "Recorded in the system by"),
    "form.made_at": ("制表时间", "Printed on"),
    "form.appeal_laws": ("法律依据", "Legal basis"),
    "form.seal": ("盖章", "seal"),
    "form.receipt": ("送达回执：申请人（或监护人）", "Receipt: the applicant (or guardian)"),
    "form.received_sign": ("签收", "signature"),
    # the public pre-check (/check): for applicants and their families
    "applies_in": ("适用地区：", "Applies in: "),
    "by_city": ("按所在城市查看", "By city"),
    "all_places": ("全部", "All"),
    "check_hint": ("按实际情况填写；不清楚的项目可以不填，结果会告诉您还需要哪些信息。",
                   "Fill in what you know; leave the rest blank and the answer says what else is needed."),
    "form": ("表单", "Form"),
    "where": ("所在地区", "Where"),
    "city": ("市", "City"),
    "choose": ("请选择", "Choose"),
    "hukou_hint": ("依次选择户籍所在的市、县（市、区）和乡镇（街道）。", "Choose the city, county and township of the hukou."),
    "hukou_only_in": ("本政策只适用于：", " The policy applies only in: "),
    "adl_question": ("6项日常活动：本人能否独立完成？", "The six daily activities: can the person do them unaided?"),
    "adl_cannot": ("不能独立完成", "cannot do it unaided"),
    "adl_can": ("能独立完成", "can do it unaided"),
    "adl_missing": ("能否自主", "whether unaided: "),
    "checked_today": ("按今天的政策测算：", "Checked against the policy in force today: "),
    "answer": ("测算结果", "Result"),
    "not_in_force_here": ("本政策在此地不适用", "The policy does not apply here"),
    "not_in_force_place": ("；您选择的", "; the place you chose, "),
    "not_in_force_after": ("不在其中。", ", is not one of them."),
    "list_separator": ("、", ", "),
    "colon": ("：", ": "),
    "semicolon": ("；", "; "),
    "yearly_before": ("（全年 ", " ("),
    "yearly_after": ("）", " per year)"),
    "next_steps": ("下一步怎么办", "What to do next"),
    "your_office": ("您的户籍所在地是", " The place of hukou you chose is "),
    "your_office_after": ("。", "."),
    "bring": ("申请时请携带：", "Bring when you apply:"),
    "criteria_one_by_one": ("逐条对照政策条件", "The policy's conditions one by one"),
    "result": ("结果", "Result"),
    "apply_with_this": ("以此申请", "Apply with these answers"),
    "apply_by_staff": ("（由乡镇（街道）工作人员登录后填写正式申请）", "(township staff log in to file the application)"),
    "choice.visual": ("视力", "visual"),
    "choice.hearing": ("听力", "hearing"),
    "choice.speech": ("言语", "speech"),
    "choice.physical": ("肢体", "physical"),
    "choice.intellectual": ("智力", "intellectual"),
    "choice.mental": ("精神", "mental"),
    "choice.multiple": ("多重", "multiple"),
    "choice.home_care": ("居家照护", "home care"),
    "choice.day_care": ("日间照料", "day care"),
    "choice.institutional_care": ("机构托养", "care in an institution"),
    "choice.comprehensive_disability": ("残疾人综合托养服务机构", "comprehensive disability care institution"),
    "choice.private": ("民办机构", "private institution"),
    "choice.public_elderly": ("公办养老机构", "public elderly-care institution"),
    "choice.urban": ("城市", "urban"),
    "choice.urban_sanwu": ("城镇“三无”老人", "urban elderly without family support (sanwu)"),
    "choice.rural_wubao": ("农村“五保”老人", "rural five-guarantee elderly (wubao)"),
    "choice.lonely_entitled": ("孤老优抚对象", "lonely elderly entitled to special care"),
    "choice.semi_disabled": ("半失能", "partly dependent"),
    "choice.disabled": ("失能", "dependent"),
    "choice.independent": ("自理", "independent"),
    "choice.rural": ("农村", "rural"),
    # the planning, budget and parameters pages (issue 17, points 7 and 8)
    "counted_on": ("考核单位", "Counted on"),
    "units_short": ("未达标单位", "Units short"),
    "short_by": ("缺口", "Short by"),
    "short_of": ("缺", "short by"),
    "met_by_district": ("各区划达标情况（指标 × 区划）", "Met or short, by district and indicator"),
    "not_counted_here": ("此区划不考核该指标", "not counted here"),
    "cost_wan": ("投资（万元）", "Cost (10k CNY)"),
    "subsidy_wan": ("建设补助（万元）", "Subsidy (10k CNY)"),
    "solver_details": ("计算过程（供技术人员核对）", "How the plan was computed (for technical review)"),
    "solver_phase": ("步骤", "Phase"),
    "solver_result": ("结果", "Result"),
    "solver_objective": ("目标函数值", "Objective"),
    "solver_bound": ("理论最优界", "Bound"),
    "solver_gap": ("与最优界的差距", "Gap"),
    "solver_seconds": ("用时（秒）", "Seconds"),
    "solver_backend": ("求解器", "Solver"),
    "solver_note": ("差距为0表示已找到最优方案；差距大于0时可延长计算时限再算。",
                    "A gap of 0 means the plan is optimal; with a gap above 0, allow more time and run again."),
    # the planning page and its result (issue 20): every label the English page shows
    # the planning page and its result (issue 20): every label the English page shows (the county column:
    # "jurisdiction"; an indicator met / not applicable: "met", "not_applicable")
    "plan.units_of_sample": ("示例的规划单位", "Planning units of the sample"),
    "plan.units.county": ("县（市、区）（13个）", "counties (13)"),
    "plan.units.township": ("乡镇（街道）（227个；社区、村数为估算）",
                            "townships and streets (227; communities and villages estimated)"),
    "plan.template.districts": ("规划单位模板（街道、社区、村）", "planning units template (streets, communities, villages)"),
    "plan.template.projects": ("候选项目模板", "candidate projects template"),
    "plan.result": ("规划结果", "Plan"),
    "plan.summary": ("方案概要", "Summary"),
    "plan.status.optimal": ("已证明最优", "proven optimal"),
    "plan.status.feasible": ("可行解（未证明最优）", "feasible (not proven optimal)"),
    "plan.status.infeasible": ("无可行解", "infeasible"),
    "plan.status.no_solution": ("时限内未找到可行解", "no plan found within the time limit"),
    "plan.status.unbounded": ("无界", "unbounded"),
    "plan.status.error": ("求解出错", "solver error"),
    "plan.phase": ("求解阶段", "Phase"),
    "plan.phase.shortfall": ("最小缺口", "least shortfall"),
    "plan.phase.cost": ("最省投资", "least cost"),
    "plan.objective_value": ("目标值", "Objective"),
    "plan.bound": ("界", "Bound"),
    "plan.gap": ("差距", "Gap"),
    "plan.seconds": ("用时（秒）", "Seconds"),
    "plan.backend": ("求解器", "Solver"),
    "plan.indicators": ("规划指标完成情况", "Indicators of the plan"),
    "plan.counted_on": ("考核单位", "Counted on"),
    "plan.status": ("状态", "Status"),
    "plan.units_short": ("未达标单位", "Units short"),
    "plan.estimate": ("（估算）", " (estimate)"),
    "plan.partly_estimated": ("（现状含估算数）", " (today's figures partly estimated)"),
    "plan.indicator.short": ("未达标", "short"),
    "plan.measured_on.county": ("县（市、区）", "county"),
    "plan.measured_on.street": ("街道", "street"),
    "plan.measured_on.community": ("社区", "community"),
    "plan.measured_on.village": ("行政村", "village"),
    "plan.measured_on.city": ("全市", "city"),
    "plan.city": ("全市", "whole city"),
    "plan.reason.no_candidates": ("该区域没有可选的此类项目", "no candidate project of this kind in the area"),
    "plan.reason.capacity": ("全部候选项目建成仍不足", "not enough even if every candidate is built"),
    "plan.reason.budget": ("预算不足", "the budget runs out"),
    "plan.reason.trade_off": ("与其他目标冲突，整体缺口已最小", "meeting it would leave a larger gap elsewhere"),
    "plan.cost_10k": ("投资（万元）", "Cost (10k CNY)"),
    "plan.subsidy_10k": ("建设补助（万元）", "Subsidy (10k CNY)"),
    "plan.adaptation": ("特殊困难老年人居家适老化改造", "Homes adapted for older people in difficulty"),
    "plan.homes": ("户数", "Homes"),
    "plan.adaptation_cost_10k": ("费用（万元）", "Cost (10k CNY)"),
    "plan.excluded": ("未纳入的候选项目", "Candidates set aside"),
    "plan.total_cost": ("总投资（万元）", "Total cost (10k CNY)"),
    "plan.places_or_beds": ("床位（托位）", "Beds or places"),
    "plan.facility_type": ("设施类型", "Facility type"),
    "census_note": ("人口为第七次全国人口普查（2020）数据；3岁以下人口为估算（0岁加1-4岁的一半）。",
                    "Population from the 2020 census; under-3 is an estimate (age 0 plus half of ages 1-4)."),
}

from web.case_text import CASE_TEXT  # noqa: E402  (the case page's words, issue 17: kept apart to merge easily)

TEXT.update(CASE_TEXT)

# the rosters page (web/rosters.py): other departments' lists, 宜府办发〔2023〕20号 三（二）
TEXT.update({
    "nav_rosters": ("名册核查", "Rosters"),
    "rosters.intro": ("低保、易返贫致贫监测、死亡、特困供养名册由相关部门提供；生成发放花名册前，系统据最新名册核查在册对象，"
                      "名册显示已死亡、纳入特困供养或退出低保的，暂停发放，待办理退出（宜府办发〔2023〕20号 三（二））。",
                      "Other departments supply these lists; before a monthly roll is generated, every recipient is "
                      "checked against the latest of them, and anyone they show as deceased, in extreme-poverty "
                      "support or off the subsistence allowance has the payment suspended until the exit is recorded."),
    "rosters.in_force": ("各名册最新导入情况", "Latest import of each roster"),
    "rosters.place": ("区划", "Area"),
    "rosters.none": ("尚未导入", "not imported yet"),
    "rosters.as_of": ("截至", "as of"),
    "rosters.import": ("导入名册", "Import a roster"),
    "rosters.kind": ("名册类别", "Roster"),
    "rosters.choose_kind": ("请选择名册类别", "Choose a roster"),
    "rosters.department": ("提供部门", "Supplying department"),
    "rosters.department_hint": ("如：袁州区民政局社会救助股", "the office that sent the list"),
    "rosters.date": ("名册截至日期", "As-of date of the list"),
    "rosters.date_hint": ("名册上写明的截至日期，不是导入日期", "the date the list itself is as of, not today's"),
    "rosters.jurisdiction": ("名册覆盖区划", "Area the list covers"),
    "rosters.choose_place": ("请选择区划", "Choose an area"),
    "rosters.file": ("名册文件（.xlsx）", "Roster workbook (.xlsx)"),
    "rosters.file_hint": ("第一张工作表须有“身份证号”列，可有日期列（如“死亡日期”）；任一行有误，整份名册不导入，并指明出错的行。",
                          "The first sheet needs an ID-number column (headed 身份证号) and may have a date column; if "
                          "any row is wrong nothing is imported and the row is named."),
    "rosters.submit": ("导入", "Import"),
    "rosters.imported": ("已导入", "Imported"),
    "rosters.people": ("人", "people"),
    "rosters.read_only": ("名册由民政、残联、乡村振兴部门工作人员或管理员导入；您可查看各名册的导入情况。",
                          "Rosters are imported by civil-affairs, disability-federation and rural-revitalisation staff "
                          "or administrators; you can see what is in force."),
})

ROSTER_NAMES_EN = {  # care_services.rosters.ROSTERS: their Chinese names stay there
    "dibao": "Subsistence allowance (dibao) roster",
    "monitoring": "Monitoring list of people at risk of falling (back) into poverty",
    "deaths": "Deaths list",
    "tekun": "Extreme-poverty (tekun) support roster",
}


def roster_name(roster_id: str) -> str:
    """A roster as this page's language names it (低保对象名册 / Subsistence allowance (dibao) roster)."""
    from care_services.rosters import ROSTERS

    if g.get("lang") == "en":
        return ROSTER_NAMES_EN.get(roster_id, roster_id.replace("_", " "))
    return ROSTERS[roster_id].zh if roster_id in ROSTERS else roster_id

UNITS = {**UNIT,  # care_services.vocabulary: the same words on pages and in workbooks; below, the units only
         # the parameters page shows (planning targets and their readings)
         "CNY/household": "元/户", "centres": "个", "facilities": "个", "households": "户", "households per year": "户/年",
         "institutions per county": "所/县", "places": "个托位", "square metres per 100 households": "平方米/百户",
         "choice (table1 | annex2)": "选项"}

# English labels of the stored values (the Chinese labels live beside the vocabularies: care_services.vocabulary,
# subsidy_rules.workflow, the schemes' fact choices). One table for every page: an English page never shows a stored
# id ("home_care") nor a Chinese label ("享受中"). Keys are unique across the vocabularies; where two share a key the
# English word is the same.
ENGLISH_LABELS = {
    # case states (subsidy_rules.workflow.STATES, INSTITUTION_STATES)
    "submitted": "submitted, awaiting review",
    "township_reviewed": "township review passed, awaiting the ADL assessment",
    "assessed": "assessed, awaiting the department's review",
    "sector_reviewed": "review passed, awaiting the next check",
    "identity_checked": "identity checked, awaiting finance approval",
    "approved": "approved",
    "in_notice": "in public notice",
    "active": "receiving payments",
    "exited": "exited",
    "rejected": "rejected",
    # exit reasons (workflow.EXIT_REASONS)
    "death": "death", "left_dibao": "left 低保 (subsistence allowance)", "moved_away": "moved away",
    "no_longer_eligible": "no longer eligible", "entered_tekun": "entered 特困 support",
    "withdrawn": "withdrawn by the person or guardian",
    # services, institutions, how applied, levels (care_services.vocabulary)
    **ENGLISH,
    # the schemes' own choices
    "construction": "construction (one-off)", "operation": "operation (yearly)",
    "urban_sanwu": "urban “three-without” elder", "rural_wubao": "rural “five guarantees” elder",
    "lonely_entitled": "lone elderly person of the entitled groups (优抚对象)",
}


def english_label(value) -> str:
    """A stored value in English: its label, else the id with its underscores as spaces (never a raw id)."""
    text = str(value)
    return ENGLISH_LABELS.get(text) or text.replace("_", " ")


def label(value, zh: str | None = None) -> str:
    """A stored value as this page's language names it: ``zh`` (the vocabulary's Chinese label) on a Chinese page,
    the English label on an English one."""
    if value is None:
        return "—"
    if g.get("lang") == "en":
        return english_label(value)
    return zh if zh is not None else str(value)


def localized(mapping: dict) -> dict:
    """A vocabulary {stored value: Chinese label} as this page's language names it (for selects and lookups)."""
    if g.get("lang") != "en":
        return mapping
    return {key: english_label(key) for key in mapping}


@functools.lru_cache(maxsize=1)
def chinese_labels() -> dict:
    """Every stored value's Chinese label, from the vocabularies where they are kept (one lookup for values shown
    outside a form: a parameter's list of funds, categories or services)."""
    from care_services import vocabulary as v
    from subsidy_rules import workflow as wf
    from subsidy_rules.schemes import yichun_2023_20

    labels = {}
    for mapping in (v.OWNERSHIP, v.PREMISES, v.CONSTRUCTION, v.AREA, v.DISABILITY_CATEGORY, v.CARE_LEVEL,
                    v.SERVICE_TYPE, v.APPLIED_BY, v.INSTITUTION_TYPE, wf.EXIT_REASONS, wf.STATES,
                    yichun_2023_20.FUND_LABELS):
        labels.update(mapping)
    return labels


ENGLISH_LABELS.update({"two_subsidies": "the two disability allowances", "elderly_allowance": "old-age allowance",
                       "dibao": "低保 (subsistence allowance)", "other_care": "other living and care benefits"})


def is_id_list(text: str | None) -> bool:
    """A description that lists stored ids ("home_care / day_care") is for developers, not an English label."""
    import re

    return bool(text) and re.search(r"\b[a-z]+_[a-z_]+\b", text) is not None


def unit_text(unit: str | None) -> str:
    if not unit:
        return ""
    return unit if g.get("lang") == "en" else UNITS.get(unit, unit)


def value_text(value, unit: str | None = None) -> str:
    """A parameter's or fact's value as staff read it: a share in per cent (0.4 → 40%), a number with its unit
    (600 元/月), a range as 低–高, a yes/no flag in words, labels instead of stored ids, lists joined."""
    english = g.get("lang") == "en"
    if isinstance(value, dict) and {"min", "max"} <= set(value):
        return f"{value_text(value['min'], unit)} – {value_text(value['max'], unit)}"
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, (list, tuple)):
        return (", " if english else "、").join(value_text(item) for item in value)
    if isinstance(value, (int, float)):
        if unit and unit.startswith("share"):
            return f"{100 * value:.4g}%"
        if isinstance(value, float) and value.is_integer() and not unit:
            return f"{value:g}"
        number = f"{value:,.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
        shown = unit_text(unit)
        return f"{number} {shown}" if shown else number
    if isinstance(value, str):
        if english:
            return english_label(value) if value in ENGLISH_LABELS else value
        return chinese_labels().get(value, value)
    return str(value)


BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")  # China keeps UTC+8 all year


def beijing_time(stamp: str | None) -> str:
    """An audit time (stored in UTC, ISO 8601 with Z) as staff read it: Beijing time to the second."""
    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def choose_language() -> str:
    """Chinese unless the user picked English (staff browsers are often set to English; the service is Chinese)."""
    wanted = request.args.get("lang") or request.cookies.get("lang")
    return wanted if wanted in LANGUAGES else "zh"


def t(key: str) -> str:
    zh, en = TEXT.get(key, (key, key))  # an unknown key shows itself (a test keeps every template key known)
    return en if g.get("lang") == "en" else zh


def halves(text) -> tuple[str, str]:
    """A bilingual message ("月份格式有误 / the month is malformed") as its (Chinese, English) halves; a text in one
    language is both. The one place the " / " convention of the messages is read."""
    zh, separator, en = ("" if text is None else str(text)).partition(" / ")
    return (zh, en) if separator else (zh, zh)


def in_language(text) -> str:
    """The page's half of a bilingual message, the whole text otherwise."""
    zh, en = halves(text)
    return en if g.get("lang") == "en" else zh


def field_label(name: str) -> str:
    """A form field named as its label reads ("facts.birth_date" -> 出生日期 where known), never by its id."""
    last = name.rsplit(".", 1)[-1]
    return t(last) if last in TEXT else t("this_field")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, zh: str, en: str, fields: dict | None = None, code: str | None = None):
    """JSON for the API ({"error": {status, code, message_zh, message_en, fields}}), a page otherwise."""
    if wants_json():
        body = {"status": status, "message_zh": zh, "message_en": en}
        if code:
            body["code"] = code
        if fields:
            body["fields"] = fields
        return jsonify(error=body), status
    return render_template("error.html", status=status, zh=zh, en=en, fields=fields), status


def init_app(app: Flask) -> None:
    @app.before_request
    def _language():
        g.lang = choose_language()

    @app.after_request
    def _remember(response):
        if request.args.get("lang") in LANGUAGES:
            response.set_cookie("lang", request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax")
        return response

    app.jinja_env.globals["t"] = t
    app.jinja_env.globals["unit_text"] = unit_text
    app.jinja_env.globals["value_text"] = value_text
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["field_label"] = field_label
    app.jinja_env.filters["in_language"] = in_language
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["beijing_time"] = beijing_time

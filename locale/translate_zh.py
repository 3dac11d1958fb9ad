"""Chinese texts of the catalogue, by English source text. `make messages` keeps the .po in step;
this script fills msgstr from the table below and reports any source text it has no Chinese for."""

import sys
from pathlib import Path

import polib

ZH = {
    "Simplified Chinese": "简体中文",
    "English": "English",
    "Eligibility": "待遇资格",
    "Payments": "缴费",
    "Enrolment": "参保登记",
    "Two enrolments in the same scheme overlap in time.": "同一险种的两条参保记录时间重叠。",
    "relative": "亲属",
    "parents, guardians and spouse": "父母、监护人和配偶",
    "The end date cannot be before the start date.": "结束日期不能早于开始日期。",
    "An event cannot be dated in the future.": "事件日期不能晚于今天。",
    "Enter the resident ID number.": "请输入居民身份证号码。",
    "15-digit resident ID numbers (first generation, issued before 1999) are no longer accepted; "
    "enter the 18-digit number.": "不再受理15位（第一代）身份证号码，请输入18位居民身份证号码。",
    "A resident ID number has 18 characters; %(length)d were entered.": "居民身份证号码应为18位，您输入了%(length)d位。",
    "The first 17 characters must be digits and the last one a digit or X.": "身份证号码前17位必须是数字，最后一位是数字或X。",
    "The birth date in the ID number (%(value)s) is not a real date.": "身份证号码中的出生日期（%(value)s）不是有效日期。",
    "The birth date in the ID number (%(value)s) is not possible.": "身份证号码中的出生日期（%(value)s）不可能成立。",
    "The check digit (the last character) does not match the other 17; please check the number.": "身份证号码校验位（最后一位）与前17位不符，请核对号码。",
    "The area code %(code)s is not in the administrative division table; please check it "
    "(it may be a district created after the holder was born).": "地区码%(code)s不在该出生年份的行政区划代码表中，请核对（也可能是持证人出生后新设的区县）。",
    "A region code is 6 digits, e.g. 360100.": "统筹区代码为6位数字，例如360100。",
    "Enter an 11-digit mainland mobile number, e.g. 13812345678.": "请输入11位手机号码，例如13812345678。",
    "division code": "行政区划代码",
    "name (Chinese)": "中文名称",
    "name (English)": "英文名称",
    "province (Chinese)": "省份（中文）",
    "province (English)": "省份（英文）",
    "region": "统筹区",
    "regions": "统筹区",
    "male": "男",
    "female": "女",
    "ordinary resident": "普通居民",
    "fixed subsidy (low-income, at-risk groups)": "定额资助（低保、监测对象等）",
    "full subsidy (extreme poverty, orphans)": "全额资助（特困人员、孤儿等）",
    "university student": "在校大学生",
    "resident ID number": "居民身份证号码",
    "name": "姓名",
    "gender": "性别",
    "birth date": "出生日期",
    "mobile phone": "手机号码",
    "household region": "户籍所在统筹区",
    "premium category": "缴费类别",
    "self-service account": "自助服务账号",
    "registered at": "登记时间",
    "updated at": "更新时间",
    "insured person": "参保人",
    "insured persons": "参保人",
    "A resident ID number is 17 digits followed by a digit or X.": "居民身份证号码为17位数字加1位数字或X。",
    "parent": "父母",
    "guardian": "监护人",
    "spouse": "配偶",
    "person": "参保人",
    "relation": "关系",
    "recorded at": "记录时间",
    "family relation": "家庭关系",
    "family relations": "家庭关系",
    "This relation is already recorded.": "该关系已登记。",
    "A person cannot be their own relative.": "不能将本人登记为自己的亲属。",
    "veteran discharged from active service": "退出现役军人",
    "unemployed spouse or child of a discharged veteran": "退役军人的未就业配偶或子女",
    "medical-assistance recipient": "医疗救助对象",
    "religious personnel": "宗教教职人员",
    "household registration moved into the province": "户口新迁入本省",
    "returned from abroad": "出国人员回国",
    "released after serving a sentence": "服刑人员期满释放",
    "graduate returned home": "大学生毕业返乡",
    "event": "事件",
    "event date": "事件日期",
    "For a veteran's family: the veteran's discharge date.": "退役军人家属：填写退役军人的退役日期。",
    "related person": "关联人员",
    "For a veteran's family: the veteran, when registered.": "退役军人家属：关联已登记的退役军人。",
    "evidence": "证明材料",
    "The document seen, its number and issuer.": "所查验材料的名称、编号和出具单位。",
    "recorded by": "登记人",
    "special-group event": "特殊群体事件",
    "special-group events": "特殊群体事件",
    "This event is already recorded for this person on this date.": "该参保人在此日期已登记过相同事件。",
    "The related person must be someone else.": "关联人员不能是本人。",
    "Describe the evidence for this event.": "请填写该事件的证明材料。",
    "employee insurance, unit employee": "职工医保（单位职工）",
    "employee insurance, flexible worker": "职工医保（灵活就业人员）",
    "urban-rural resident insurance": "城乡居民医保",
    "active": "参保中",
    "suspended": "暂停",
    "ended": "已终止",
    "transferred out": "已转出",
    "scheme": "险种",
    "start date": "开始日期",
    "end date": "结束日期",
    "status": "状态",
    "employer": "用人单位",
    "Unit employees only.": "仅限单位职工填写。",
    "note": "备注",
    "enrolment": "参保记录",
    "enrolments": "参保记录",
    "This person already has an open enrolment in this scheme; end it before opening another.": "该参保人在此险种已有未终止的参保记录，请先终止后再新增。",
    "Give the employer for a unit employee, and only for a unit employee.": "单位职工必须填写用人单位，其他险种不填。",
    "An ended or transferred-out enrolment needs an end date.": "已终止或已转出的参保记录必须填写结束日期。",
    "This enrolment overlaps another enrolment of the same person in the same scheme (%(other)s).": "该参保记录与同一参保人同一险种的另一条记录时间重叠（%(other)s）。",
    "user": "用户",
    "staff region": "经办人员统筹区",
    "staff regions": "经办人员统筹区",
    "The event date is before the person's birth date.": "事件日期早于参保人的出生日期。",
    "Unknown event kind: %(kind)s": "未知的事件类型：%(kind)s",
    "A parent must be born before the child.": "父母的出生日期必须早于子女。",
    "Resident ID number (whole or its beginning) or the beginning of the name.": "输入完整或开头部分的身份证号码，或姓名的开头。",
    "Django site admin": "医保经办",
    "Django administration": "医保经办",
    "Medical insurance services": "医保经办服务",
    "Regional medical insurance agency": "医疗保障经办机构",
    "Enrolment, premium payments and benefit eligibility for employee and urban-rural resident medical insurance.": "职工医保与城乡居民医保的参保登记、缴费和待遇资格。",
    "Service hall staff": "经办大厅工作人员",
    "Find insured persons, record enrolments and special-group events.": "查询参保人，登记参保记录和特殊群体事件。",
    "Clerk workspace": "经办工作台",
    "Residents": "参保居民",
    "Check your coverage, your payments and what a payment today would give you. The self-service portal opens soon.": "查询您的参保状态、缴费记录，以及今天缴费后何时开始享受待遇。自助服务即将开通。",
    "Self-service portal (coming soon)": "自助服务（即将开通）",
    "Language": "语言",
    "Switch": "切换",
}


def main() -> int:
    path = Path(__file__).parent / "zh_Hans" / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(path))
    missing = []
    for entry in catalogue:
        if entry.msgid in ZH:
            entry.msgstr = ZH[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr:
            missing.append(entry.msgid)
    catalogue.metadata["Language"] = "zh_Hans"
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.save()
    catalogue.save_as_mofile(str(path.with_suffix(".mo")))
    for msgid in missing:
        print(f"no Chinese text for: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

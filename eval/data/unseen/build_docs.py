"""Write the binary documents of the unseen-styles corpus (docx, xlsx, pdf) from the text
specs below, into ``docs/``. The generated files are committed too, so reading them needs
only the project's own readers; rerun this after editing a spec:

    python eval/data/unseen/build_docs.py

A spec is a list of items: ``("p", text)`` a paragraph, ``("table", rows, merges)`` a table
whose ``merges`` are (first_row, first_col, last_row, last_col) cell ranges written once in
the first cell, as a government clerk merges them in Word or Excel.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).parent / "docs"

ZHUZHOU = [
    ("p", "株洲市城镇燃气安全排查整治工作任务分工表"),
    ("p", "（2023年6月）"),
    ("table", [
        ["序号", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限"],
        ["一、燃气安全排查"] * 6,
        ["1", "全面排查燃气经营企业", "1. 对全市燃气经营企业开展安全评估，督促整改问题隐患", "市住建局",
         "市应急局\n市市场监管局\n市消防救援支队", "2023年9月底前"],
        ["2", "", "2. 排查瓶装液化石油气充装、配送环节安全隐患", "",
         "市市场监管局、\n市公安局、市交通运输局", "2023年9月底前"],
        ["3", "整治餐饮等用户端安全隐患", "3. 推动餐饮场所安装可燃气体报警装置", "市商务局",
         "市住建局\n市市场监管局\n各县（市、区）人民政府", "2023年12月底前"],
        ["4", "", "4. 开展老旧小区燃气管道更新改造", "市住建局", "市发改委、市财政局、\n国网株洲供电公司", "2024年6月底前"],
        ["二、整治提升"] * 6,
        ["5", "严厉打击违法违规行为", "5. 打击非法经营、违规运输瓶装液化气行为", "市公安局",
         "市城管局、市市场监管局、市交通运输局", "长期坚持"],
        ["6", "压实各方责任", "6. 将燃气安全纳入安全生产考核", "市安委办", "市直有关部门\n各县（市、\n区）人民政府", "长期坚持"],
    ], [(1, 0, 1, 5), (2, 1, 3, 1), (2, 3, 3, 3), (4, 1, 5, 1), (6, 0, 6, 5)]),
    ("p", "株洲市安全生产委员会办公室"),
]

FUCHENG = [
    ("table", [
        ["绵阳市涪城区2023年安全生产工作要点任务分工表"] * 5,
        ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
        ["1", "召开区安委会全体会议，研究部署年度安全生产工作", "区安委办", "区安委会各成员单位", "2023年3月"],
        ["2", "开展安全生产大检查，建立问题隐患和整改责任“两个清单”", "区应急局", "区安委会各成员单位", "全年"],
        ["3", "推进城镇燃气安全专项整治", "区住建局", "区市场监管局、区商务局、各乡镇（街道）", "2023年底"],
        ["4", "开展道路交通“平安行”专项行动", "区公安分局", "区交通运输局、区教体局", "2023年底"],
        ["5", "开展森林草原防灭火专项整治", "区林业局\n区应急局", "各乡镇（街道）、区消防救援大队", "2023年5月"],
        ["6", "加强汛期地质灾害隐患排查", "区自然资源分局", "区水利局、区气象局、\n各乡镇（街道）", "2023年9月"],
    ], [(0, 0, 0, 4)]),
]

RANGHULU = [
    ("table", [
        ["序号", "任务", "责任单位", "配合单位", "时间节点"],
        ["1", "修订完善区防汛抗旱应急预案", "区应急局（牵头）、区水务局", "区气象局", "5月底前"],
        ["2", "开展河道、水库、堤防汛前检查", "区水务局", "区应急局、各街道办事处", "5月底前"],
        ["3", "做好城区排水防涝和易涝点整治", "区住建局（牵头）\n区城管局", "区交通运输局、区公安分局", "6月底前"],
        ["4", "储备防汛物资，组建抢险队伍", "区应急局", "区人武部、驻地部队、区消防救援大队", "汛前"],
        ["5", "做好受灾群众转移安置和生活救助", "各街道办事处", "区民政局、区卫生健康局、区教育局", "汛期"],
    ], []),
]

SHUNDE = [
    ("p", "佛山市顺德区“十四五”应急管理主要指标"),
    ("table", [
        ["序号", "指标", "2025年目标值", "属性", "责任单位"],
        ["1", "生产安全事故死亡人数", "下降15%", "约束性", "区应急管理局\n区安委会各成员单位"],
        ["2", "亿元地区生产总值生产安全事故死亡率", "下降33%", "约束性", "区应急管理局"],
        ["3", "道路交通万车死亡率", "下降10%", "预期性", "顺德公安分局\n区交通运输局"],
        ["4", "年均每10万人受灾人次", "下降10%", "", "区应急管理局、区自然资源局、区水利局"],
        ["5", "万人拥有综合性消防救援人员数", "达到1.5人", "", "区消防救援大队"],
        ["6", "灾害事故发生后受灾人员基本生活得到有效救助时间", "10小时以内", "", "区应急管理局、区民政局、各镇（街道）"],
    ], [(3, 3, 6, 3)]),
    ("p", "注：目标值以2020年为基数。"),
]

ORDOS = [
    ("p", "鄂尔多斯市人民政府办公室"),
    ("p", "关于印发鄂尔多斯市煤矿安全专项整治重点任务分工方案的通知"),
    ("p", "鄂府办发〔2022〕18号"),
    ("p", "各旗区人民政府，市人民政府各部门，各直属单位，各大企业事业单位："),
    ("p", "经市人民政府同意，现将《鄂尔多斯市煤矿安全专项整治重点任务分工方案》印发给你们，请认真贯彻落实。"),
    ("p", "鄂尔多斯市人民政府办公室"),
    ("p", "2022年5月20日"),
    ("p", "鄂尔多斯市煤矿安全专项整治重点任务分工方案"),
    ("p", "一、严格煤矿安全准入"),
    ("p", "（一）严把煤矿项目核准和安全设施设计审查关，不具备安全生产条件的一律不予审批。（市能源局牵头，市发展改革委、市自然资源局配合）"),
    ("p", "（二）严厉打击超能力、超强度、超定员组织生产行为。（市能源局、国家矿山安全监察局内蒙古局鄂尔多斯分局按职责分工负责）"),
    ("p", "二、强化重大灾害治理"),
    ("p", "（三）推进冲击地压、水害、火灾等重大灾害超前治理。（市能源局牵头，各旗区人民政府负责）"),
    ("p", "（四）开展露天煤矿边坡安全专项治理。（市应急管理局、市能源局牵头，市自然资源局、市生态环境局配合）"),
    ("p", "三、提升应急处置能力"),
    ("p", "（五）加强矿山救护队伍建设，完善矿山应急救援装备。（市应急管理局牵头，市财政局、市能源局、国家能源集团鄂尔多斯分公司配合）"),
    ("p", "（六）组织开展煤矿事故应急演练。（各旗区人民政府、市应急管理局负责，驻地部队、市消防救援支队配合）"),
    ("p", "四、加强监督检查"),
    ("p", "（七）将煤矿安全专项整治纳入旗区年度考核。（市安委办牵头，市委组织部、市纪委监委机关配合）"),
]

AQ_STANDARD = [
    ("p", "ICS 13.200"),
    ("p", "中华人民共和国安全生产行业标准"),
    ("p", "AQ/T 9011—2025"),
    ("p", "生产经营单位安全生产应急演练实施规范"),
    ("p", "2025-01-20 发布    2025-07-01 实施"),
    ("p", "中华人民共和国应急管理部  发布"),
    ("p", "1 范围"),
    ("p", "本文件规定了生产经营单位安全生产应急演练的计划、准备、实施、评估和持续改进的要求。"),
    ("p", "2 规范性引用文件"),
    ("p", "GB/T 29639 生产经营单位生产安全事故应急预案编制导则"),
    ("p", "3 术语和定义"),
    ("p", "3.1"),
    ("p", "应急演练 emergency exercise"),
    ("p", "针对可能发生的事故情景，依据应急预案模拟开展的应急活动。"),
    ("p", "4 演练计划"),
    ("p", "4.1 生产经营单位应每年制定应急演练计划，明确演练的频次、范围、内容和组织方式。"),
    ("p", "4.2 综合应急预案演练每年不少于一次，现场处置方案演练每半年不少于一次。"),
    ("p", "5 演练实施"),
    ("p", "5.1 演练启动"),
    ("p", "5.1.1 演练总指挥宣布演练开始后，参演人员应按照预案规定的程序开展应急处置。"),
    ("p", "5.1.2 演练过程中出现真实突发事件时，应立即终止演练。"),
    ("table", [["演练类型", "组织要求"], ["桌面演练", "围绕演练情景讨论应急处置程序"], ["实战演练", "调用应急资源在现场完成处置动作"]], []),
    ("p", "注：演练可以采用桌面演练和实战演练相结合的方式。"),
    ("p", "附录A"),
    ("p", "（资料性）"),
    ("p", "应急演练评估表"),
    ("p", "A.1 评估内容包括演练准备、演练实施和演练保障三个方面。"),
]

WEIFANG = [
    ("p", "潍坊市危险化学品安全风险集中治理工作分工方案"),
    ("p", "为贯彻落实全省危险化学品安全风险集中治理部署，结合我市实际，制定本分工方案。"),
    ("p", "一、重点任务"),
    ("p", "（一）提升化工园区安全水平"),
    ("p", "1.完成化工园区安全风险评估和分级，2022年底前所有化工园区达到D级以上。（市应急局牵头，市发展改革委、市工业和信息化局、市自然资源和规划局配合，各县市区政府、市属开发区管委会负责落实）"),
    ("p", "2.推进化工园区封闭化管理和一体化应急救援中心建设。（市应急局、市消防救援支队牵头，各县市区政府负责）"),
    ("p", "（二）强化危险化学品全链条监管"),
    ("p", "3.加强危险化学品道路运输安全监管，严格执行禁限行规定。（市交通运输局、市公安局按职责分工负责）"),
    ("p", "4.加强港口危险货物储存安全监管，开展危险货物集装箱专项检查。（市港口管理部门、潍坊海事局牵头，市应急局配合）"),
    ("p", "5.开展废弃危险化学品等危险废物排查治理。（市生态环境局牵头，市应急局、市公安局、市城管局配合）"),
    ("p", "二、保障措施"),
    ("p", "6.将危险化学品安全风险集中治理纳入市对县市区安全生产考核。（市安委办牵头，市委组织部配合）"),
    ("p", "7.对集中治理中发现的违法违规行为依法严肃查处，涉嫌犯罪的移送司法机关。（市应急局、市公安局、市检察院、市中级法院按职责分工负责）"),
]

BAOJI = [
    ("p", "宝鸡市“十四五”安全生产规划重点工程任务分工表"),
    ("table", [
        ["序号", "重点工程", "建设内容", "牵头单位", "配合单位"],
        ["1", "安全风险监测预警工程", "建设危险化学品、矿山、燃气等重点行业领域安全风险监测预警系统", "市应急局",
         "市工信局、市住建局、\n市大数据局"],
        ["2", "", "建设城市生命线安全运行监测平台", "市住建局", "市应急局、市城管局"],
        ["3", "应急救援能力提升工程", "建设市级综合应急救援训练基地", "市应急局、市消防救援支队", "市发改委、市财政局"],
        ["4", "应急物资保障工程", "建设市级应急物资储备库，完善物资调运机制", "市发改委", "市应急局、市财政局、市商务局"],
        ["5", "安全文化建设工程", "建设安全生产宣传教育体验基地", "市应急局", "市委宣传部、市教育局、团市委、市科协"],
    ], [(1, 1, 2, 1)]),
]


def write_docx(path: Path, spec: list) -> None:
    from docx import Document

    document = Document()
    for item in spec:
        if item[0] == "p":
            document.add_paragraph(item[1])
            continue
        rows, merges = item[1], item[2]
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        table.style = "Table Grid"
        covered = {(r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - \
            {(r0, c0) for r0, c0, _, _ in merges}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) not in covered:
                    table.cell(r, c).text = value
        for r0, c0, r1, c1 in merges:
            table.cell(r0, c0).merge(table.cell(r1, c1))
    document.save(path)


def write_xlsx(path: Path, spec: list) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    rows, merges = spec[0][1], spec[0][2]
    covered = {(r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - \
        {(r0, c0) for r0, c0, _, _ in merges}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if (r - 1, c - 1) not in covered:
                cell = sheet.cell(r, c, value)
                cell.alignment = Alignment(wrap_text=True)
    for r0, c0, r1, c1 in merges:
        sheet.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    workbook.save(path)


def write_pdf(path: Path, spec: list) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=12, leading=18, wordWrap="CJK")
    cell_style = ParagraphStyle("cell", parent=style, fontSize=9, leading=12)
    story = []
    for item in spec:
        if item[0] == "p":
            story.append(Paragraph(item[1], style))
            continue
        rows, merges = item[1], item[2]
        covered = {(r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - \
            {(r0, c0) for r0, c0, _, _ in merges}
        data = [[Paragraph(value.replace("\n", "<br/>"), cell_style) if (r, c) not in covered else ""
                 for c, value in enumerate(row)] for r, row in enumerate(rows)]
        commands = [("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        commands += [("SPAN", (c0, r0), (c1, r1)) for r0, c0, r1, c1 in merges]
        table = Table(data, colWidths=[30, 90, 170, 90, 110], repeatRows=1)
        table.setStyle(TableStyle(commands))
        story.append(table)
    SimpleDocTemplate(str(path), pagesize=A4, title="", author="", creator="", producer="").build(story)


DOCUMENTS = {
    "株洲市燃气排查整治分工表.docx": (write_docx, ZHUZHOU),
    "附件2.xlsx": (write_xlsx, FUCHENG),
    "大庆市让胡路区防汛抗旱工作责任分工.xlsx": (write_xlsx, RANGHULU),
    "附件1 主要指标.docx": (write_docx, SHUNDE),
    "鄂府办发〔2022〕18号.docx": (write_docx, ORDOS),
    "AQT9011-2025.docx": (write_docx, AQ_STANDARD),
    "潍坊分工方案.pdf": (write_pdf, WEIFANG),
    "宝鸡市重点工程分工表.pdf": (write_pdf, BAOJI),
}


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for name, (writer, spec) in DOCUMENTS.items():
        writer(DOCS / name, spec)
        print(DOCS / name)


if __name__ == "__main__":
    main()

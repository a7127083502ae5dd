"""Single evaluations from concurrent requests, computed together: the rules engine is columnar, so sixty-four
applicants in one pass cost little more than one (bench/web_load.py).

One worker thread takes every request waiting, groups them by scheme and parameter set, evaluates each group in
one pass with evaluate_records (each case with its own date and county) and answers each request with its row
of the evaluation's explanations — the very functions engine.evaluate uses on one case, so an answer is the same
whether it was computed alone or with others (tests/web/test_batcher.py). Nothing waits on purpose: under no load a request is
a batch of one; under load the requests that arrive while a batch is computed form the next.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from subsidy_rules.engine import FactError, check_fact_names, evaluate_records, get_scheme
from subsidy_rules.parameters import ParameterSet

MAX_BATCH = 512


@dataclass
class _Request:
    scheme: str
    facts: dict
    date: dt.date
    jurisdiction: str
    parameters: ParameterSet
    answer: Future = field(default_factory=Future)


class EvaluationBatcher:
    def __init__(self) -> None:
        self.waiting: queue.Queue[_Request] = queue.Queue()
        self.worker = threading.Thread(target=self._run, name="carecalc-evaluate", daemon=True)
        self.worker.start()

    def evaluate(self, scheme: str, facts: dict, *, date: dt.date | None, jurisdiction: str,
                 parameters: ParameterSet, timeout: float = 60.0) -> dict:
        """The same answer as subsidy_rules.engine.evaluate; FactError if a fact cannot be used."""
        check_fact_names(get_scheme(scheme), facts)
        request = _Request(scheme, dict(facts), date or dt.date.today(), jurisdiction, parameters)
        self.waiting.put(request)
        return request.answer.result(timeout=timeout)

    def _run(self) -> None:
        while True:
            batch = [self.waiting.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
            groups: dict[tuple[str, int], list[_Request]] = {}
            for request in batch:
                groups.setdefault((request.scheme, id(request.parameters)), []).append(request)
            for requests in groups.values():
                self._evaluate(requests)

    @staticmethod
    def _evaluate(requests: list[_Request]) -> None:
        try:
            evaluation = evaluate_records(requests[0].scheme, [r.facts for r in requests],
                                          dates=[r.date for r in requests],
                                          jurisdictions=[r.jurisdiction for r in requests],
                                          parameters=requests[0].parameters)
            answers = evaluation.explain()
            for position, (request, answer) in enumerate(zip(requests, answers)):
                if position in evaluation.errors:
                    request.answer.set_exception(FactError(evaluation.errors[position]))
                else:
                    request.answer.set_result(answer)
        except Exception as error:  # every waiting request learns of it; the worker lives on
            for request in requests:
                if not request.answer.done():
                    request.answer.set_exception(error)

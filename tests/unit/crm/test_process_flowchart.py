"""The process definition drawn as SVG: a box per step, an arrow per continuation."""

from __future__ import annotations

from xml.etree import ElementTree

from services.crm.adapters.flowchart_svg import render
from services.crm.domain.process import INBOUND_SALES, ProcessDef, StepDef

NS = "{http://www.w3.org/2000/svg}"


def boxes(svg: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {g.get("id"): g for g in svg.iter(f"{NS}g")}


def test_each_step_is_a_box_and_each_continuation_an_arrow():
    svg = ElementTree.fromstring(render(INBOUND_SALES))
    assert set(boxes(svg)) == {f"step-{s.name}" for s in INBOUND_SALES.steps}
    arrows = [p for p in svg.iter(f"{NS}path") if p.get("marker-end")]
    assert len(arrows) == len(INBOUND_SALES.edges())
    texts = [t.text for t in svg.iter(f"{NS}text")]
    assert "Customer order" in texts and "manager · automatic" in texts


def test_visited_steps_are_shaded_and_the_current_one_outlined():
    svg = ElementTree.fromstring(
        render(INBOUND_SALES, visited={"registration", "first_contact"}, current="first_contact")
    )
    rects = {name: g.find(f"{NS}rect") for name, g in boxes(svg).items()}
    assert rects["step-registration"].get("fill") == rects["step-first_contact"].get("fill")
    assert rects["step-proposal"].get("fill") != rects["step-registration"].get("fill")
    assert rects["step-first_contact"].get("stroke-width") == "3"
    assert rects["step-registration"].get("stroke-width") is None


def test_titles_are_escaped():
    process = ProcessDef("x", "Sales & <co>", "a", (StepDef("a", "A & B", None, "system"),))
    svg = ElementTree.fromstring(render(process))
    assert [t.text for t in svg.iter(f"{NS}text")][:2] == ["Sales & <co>", "A & B"]

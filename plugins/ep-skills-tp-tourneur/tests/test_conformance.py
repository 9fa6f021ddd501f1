"""The conformance suite every diploma plugin runs (see ``ep_skills.testing``)."""

from ep_skills.testing import ReferentialConformance


class TestConformance(ReferentialConformance):
    diploma_id = "tp-tourneur"

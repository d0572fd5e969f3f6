"""Where in the Ruhr a text is and which Ruhr actors it names: the 53 RVR municipalities and their actors.

The lists live in `models/data/municipalities.toml` and `models/data/actors.toml` (sources: ruhr.md §3.1-§3.4).
Matching is one compiled regular expression per list over the raw text, longest surface form first, so
"Essen-Steele" wins over "Essen" and "Rhein-Ruhr" is consumed (and ignored) before anything else can match in it.

Names that are also ordinary words or surnames follow the rules of ruhr.md §3.1:
* "Essen" (food), "Kamen" (came), "Schwerte" (swords), "Alpen" (the Alps) count only after a place preposition or
  place noun ("in Essen", "Stadt Essen"), hyphenated with a district ("Essen-Steele"), or in a qualified form;
  "Alpen" additionally needs a Niederrhein / Kreis Wesel context in the text.
* "Wetter" (weather) counts only as "Wetter (Ruhr)" / "Wetter an der Ruhr" / "Stadt Wetter".
* "Hamm", "Hagen", "Herne", "Marl", "Werne", "Selm" do not count right after a capitalised word that is not a place
  noun ("Nina Hagen") or right before a capitalised word ("Hagen Reinhold"), unless a place preposition comes
  first ("in Hagen"); "Hamm (Sieg)", "Hamburg-Hamm", "Köln-Mülheim", "Hagen a.T.W." never count.
* "Rhein-Ruhr" and its variants are broader than the RVR area and never count as Ruhr.
* Institutions named after their city ("Klinikum Dortmund", "Universitätsklinikum Essen", "Stadtwerke Wetter",
  "IHK zu Dortmund", "Essen University Hospital", "die Hammer Stadtwerke") name that place: a municipality name right
  after an institution head noun (whole word or tail of a compound, nominative, genitive or plural dative) counts as
  the place however ambiguous the name is alone; so does a name right before an English head ("University") and an
  ambiguous demonym right before a head. The heads are data (`[institutions]` in municipalities.toml), not a list
  of institutions; `InstitutionHeads` below says what counts as one. Actor aliases get their dative and genitive
  forms from the same heads ("des Universitätsklinikums Essen", "im Evangelischen Klinikum Gelsenkirchen").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])[\s\"'„“»«(]*$")
_NAME_FOLLOWS = re.compile(r" [A-ZÄÖÜ][a-zäöüß]+\b")
_PREVIOUS_WORD = re.compile(r"([^\W\d_][\w.-]*)[\s(\"'„“»«]*$")
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w.-]*)")
# strong adjective endings before an institution head ("Evangelisches", "Katholische", "Allgemeines"): -en in the
# dative and genitive ("im Evangelischen Klinikum", "des Allgemeinen Krankenhauses")
_ADJECTIVE = re.compile(r"([A-ZÄÖÜ][a-zäöüß]*(?:isch|sch|lich|ig|ein|al|iv|ell))(?:es|er|e)")


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str
    kreis: str
    nuts3: str
    ambiguity: str = ""
    requires_context: tuple[str, ...] = ()
    not_followed_by: tuple[re.Pattern[str], ...] = ()
    not_preceded_by: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """One place a text names. `place_type` is municipality, kreis or region; municipality/kreis as applicable."""

    place_type: str
    name: str
    municipality: str | None
    kreis: str | None
    mention: str
    start: int


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    actor_type: str
    seat: str
    ror: str | None
    aliases: tuple[str, ...]
    verified: bool = True


@dataclass(frozen=True, slots=True)
class ActorMention:
    actor: Actor
    mention: str
    start: int


@dataclass(frozen=True, slots=True)
class _Surface:
    kind: str  # municipality | kreis | region | not_ruhr
    target: str
    bare: bool  # the plain municipality name, to which ambiguity rules apply
    # "after_head": counts only as in "Stadtwerke Wetter"; "before_head": only as in "Hammer Stadtwerke"
    institution: str = ""


@dataclass(frozen=True)
class InstitutionHeads:
    """Head nouns of institution names that carry their city ("Klinikum", "Stadtwerke", "IHK"), from the data.

    A word is a head when it is one, or ends in one as a German compound does ("Universitätsklinikum",
    "St. Josef-Hospital", "Amtsgericht"), in the nominative or with its case ending: genitive -s/-es for masculine and
    neuter heads ("des Klinikums"), dative -n for names plural in form ("den Stadtwerken"). Heads shorter than five
    letters count only as the whole word or after a hyphen ("Ruhr-Uni", never "Juni").
    """

    endings: Mapping[str, tuple[str, ...]]  # lower-case head -> its case endings besides the nominative
    linkers: frozenset[str] = frozenset()  # "IHK zu Dortmund"
    after: frozenset[str] = frozenset()  # heads written after the name: "Essen University Hospital"

    @classmethod
    def from_data(cls, table: Mapping[str, Any]) -> InstitutionHeads:
        endings: dict[str, tuple[str, ...]] = {}
        for head in table.get("heads", ()):
            endings[head.lower()] = ()
        for head in table.get("heads_plural", ()):
            endings[head.lower()] = ("n",)
        for head in table.get("heads_genitive_s", ()):
            endings[head.lower()] = ("es", "s") if head[-1] in "sßxz" else ("s", "es")
        return cls(endings, frozenset(table.get("linkers", ())), frozenset(table.get("heads_after", ())))

    def is_head(self, word: str) -> bool:
        """Whether `word` is an institution head in any of its case forms."""
        return self._match(word, inflected=True) is not None

    def inflect(self, word: str) -> str | None:
        """The case ending that `word`, a head in the nominative, takes ("Klinikum" -> "s"); None if it is no head."""
        head = self._match(word, inflected=False)
        if head is None:
            return None
        endings = self.endings[head]
        return endings[0] if endings else ""

    def _match(self, word: str, *, inflected: bool) -> str | None:
        if not word[:1].isupper():
            return None
        low = word.lower()
        for head, endings in self.endings.items():
            for ending in ("", *endings) if inflected else ("",):
                form = head + ending
                if low == form or (low.endswith(form) and (len(head) >= 5 or low[-len(form) - 1] == "-")):
                    return head
        return None


@dataclass
class Gazetteer:
    """Municipalities, Kreise, region names and actors, with compiled matchers. Build with `Gazetteer.load()`."""

    municipalities: Mapping[str, Municipality]
    kreise: Mapping[str, str]  # kreis name -> NUTS-3
    actors: Sequence[Actor]
    place_prepositions: frozenset[str]
    place_nouns: frozenset[str]
    institutions: InstitutionHeads = field(default_factory=lambda: InstitutionHeads({}))
    _surfaces: dict[str, _Surface] = field(default_factory=dict)
    _place_pattern: re.Pattern[str] | None = None
    _actor_by_alias: dict[str, Actor] = field(default_factory=dict)
    _actor_pattern: re.Pattern[str] | None = None

    @classmethod
    def load(cls) -> Gazetteer:
        """Read the packaged data files (no network, no database)."""
        data_dir = resources.files("models.data")
        places = tomllib.loads(data_dir.joinpath("municipalities.toml").read_text(encoding="utf-8"))
        actors = tomllib.loads(data_dir.joinpath("actors.toml").read_text(encoding="utf-8"))
        return cls.from_data(places, actors)

    @classmethod
    def from_data(cls, places: Mapping[str, Any], actors: Mapping[str, Any]) -> Gazetteer:
        municipalities: dict[str, Municipality] = {}
        surfaces: dict[str, _Surface] = {}
        for row in places["municipality"]:
            m = Municipality(
                name=row["name"],
                kreis=row["kreis"],
                nuts3=row["nuts3"],
                ambiguity=row.get("ambiguity", ""),
                requires_context=tuple(row.get("requires_context", ())),
                not_followed_by=tuple(re.compile(p) for p in row.get("not_followed_by", ())),
                not_preceded_by=tuple(re.compile(p) for p in row.get("not_preceded_by", ())),
            )
            municipalities[m.name] = m
            bare_names = [m.name] if row.get("bare_name", True) else []
            single_word_names = [n for n in [m.name, *row.get("aliases", ())] if " " not in n and "(" not in n]
            for surface in bare_names:
                surfaces[surface] = _Surface("municipality", m.name, bare=bool(m.ambiguity))
            for surface in [*row.get("aliases", ()), *row.get("demonyms", ()), *row.get("districts", ())]:
                surfaces.setdefault(surface, _Surface("municipality", m.name, bare=False))
            for district in row.get("hyphen_districts", ()):
                for base in single_word_names:
                    surfaces[f"{base}-{district}"] = _Surface("municipality", m.name, bare=False)
            for surface in row.get("institution_names", ()):
                surfaces.setdefault(surface, _Surface("municipality", m.name, bare=False, institution="after_head"))
            for surface in row.get("institution_demonyms", ()):
                surfaces.setdefault(surface, _Surface("municipality", m.name, bare=False, institution="before_head"))
        kreise = {}
        for row in places.get("kreis", ()):
            kreise[row["name"]] = row["nuts3"]
            for surface in [row["name"], *row.get("aliases", ())]:
                surfaces[surface] = _Surface("kreis", row["name"], bare=False)
        region = places.get("region", {})
        for surface in region.get("names", ()):
            surfaces[surface] = _Surface("region", surface, bare=False)
        for surface in region.get("phrases", ()):  # "im Revier", "im Pott": the Ruhrgebiet
            surfaces[surface] = _Surface("region", "Ruhrgebiet", bare=False)
        for surface in region.get("not_ruhr", ()):
            surfaces[surface] = _Surface("not_ruhr", surface, bare=False)
        actor_list = [
            Actor(
                name=row["name"],
                actor_type=row["type"],
                seat=row["seat"],
                ror=row.get("ror") or None,
                aliases=tuple(row.get("aliases", ())) or (row["name"],),
                verified=bool(row.get("verified", True)),
            )
            for row in actors["actor"]
        ]
        institutions = InstitutionHeads.from_data(places.get("institutions", {}))
        gazetteer = cls(
            municipalities=municipalities,
            kreise=kreise,
            actors=actor_list,
            place_prepositions=frozenset(w.lower() for w in places.get("place_prepositions", ())),
            place_nouns=frozenset(places.get("place_nouns", ())),
            institutions=institutions,
        )
        by_alias = {alias: actor for actor in actor_list for alias in actor.aliases}
        for actor in actor_list:  # explicit aliases win over generated case forms
            for alias in actor.aliases:
                for form in inflected_forms(alias, institutions):
                    by_alias.setdefault(form, actor)
        # a known actor's name that holds one municipality names that place, even where no head marks it as an
        # institution ("RWI Essen", "AKH Hagen", "EVK Hamm")
        name_pattern = _alternation(surfaces)
        for alias in by_alias:
            named = {surfaces[m.group(0)] for m in name_pattern.finditer(alias)}
            targets = {surface.target for surface in named if surface.kind == "municipality"}
            if len(targets) == 1 and alias not in surfaces:
                surfaces[alias] = _Surface("municipality", targets.pop(), bare=False)
        gazetteer._surfaces = surfaces
        gazetteer._place_pattern = _alternation(surfaces)
        gazetteer._actor_by_alias = by_alias
        gazetteer._actor_pattern = _alternation(by_alias)
        return gazetteer

    @property
    def names(self) -> frozenset[str]:
        """Every surface form of a place or actor, single words only ("RUB", "Duisburg", "Essener").

        Forms that are places only inside an institution name ("Wetter", "Hammer") are left out: alone they are
        ordinary words.
        """
        places = [s for s, surface in self._surfaces.items() if not surface.institution]
        return frozenset(s for s in [*places, *self._actor_by_alias] if " " not in s)

    # -- places -----------------------------------------------------------------------------------------------

    def find_places(self, text: str) -> list[PlaceMention]:
        """Every place mention in `text`, in order; ambiguous names only where the rules above accept them."""
        assert self._place_pattern is not None
        found: list[PlaceMention] = []
        pending_context: list[tuple[Municipality, re.Match[str]]] = []
        for match in self._place_pattern.finditer(text):
            surface = self._surfaces[match.group(0)]
            if surface.kind == "not_ruhr":
                continue
            if surface.kind == "region":
                found.append(PlaceMention("region", surface.target, None, None, match.group(0), match.start()))
                continue
            if surface.kind == "kreis":
                found.append(PlaceMention("kreis", surface.target, None, surface.target, match.group(0), match.start()))
                continue
            m = self.municipalities[surface.target]
            if not self._accepted(m, surface, text, match):
                continue
            if surface.bare and m.requires_context:
                pending_context.append((m, match))
                continue
            found.append(self._mention(m, match))
        for m, match in pending_context:
            if any(word in text for word in m.requires_context):
                found.append(self._mention(m, match))
        found.sort(key=lambda p: p.start)
        return found

    def _mention(self, m: Municipality, match: re.Match[str]) -> PlaceMention:
        kreis = None if m.kreis == "kreisfrei" else m.kreis
        return PlaceMention("municipality", m.name, m.name, kreis, match.group(0), match.start())

    def _accepted(self, m: Municipality, surface: _Surface, text: str, match: re.Match[str]) -> bool:
        before = text[max(0, match.start() - 60) : match.start()]
        after = text[match.end() : match.end() + 40]
        if any(p.match(after) for p in m.not_followed_by) or any(p.search(before) for p in m.not_preceded_by):
            return False
        if surface.institution == "after_head":
            return self._institution_before(before)
        if surface.institution == "before_head":
            following = _NEXT_WORD.match(after)
            return bool(following) and (
                self.institutions.is_head(following.group(1)) or following.group(1) in self.place_nouns
            )
        if not surface.bare:
            return True
        previous = _PREVIOUS_WORD.search(before)
        previous_word = previous.group(1) if previous else ""
        at_sentence_start = bool(_SENTENCE_START.search(before))
        place_context = (
            previous_word.lower() in self.place_prepositions
            or previous_word in self.place_nouns
            or self._institution_before(before)
            or self._institution_after(after)
        )
        if m.ambiguity == "word":
            district_follows = bool(re.match(r"-[A-ZÄÖÜ]", after))
            return place_context or district_follows
        if m.ambiguity == "surname":
            if place_context:
                return True
            # "Nina Hagen": a capitalised word right before that is no place noun marks a surname;
            # "Hagen Reinhold": a capitalised word right after marks a first name
            if _NAME_FOLLOWS.match(after):
                return False
            return at_sentence_start or not previous_word[:1].isupper()
        return True

    def _institution_before(self, before: str) -> bool:
        """The name follows an institution head: "Klinikum Dortmund", "Universitätsklinikums Essen", "IHK zu"."""
        previous = _PREVIOUS_WORD.search(before)
        if not previous:
            return False
        word = previous.group(1)
        if word in self.institutions.linkers:
            previous = _PREVIOUS_WORD.search(before[: previous.start(1)])
            word = previous.group(1) if previous else ""
        return self.institutions.is_head(word)

    def _institution_after(self, after: str) -> bool:
        """The name precedes a head that is written after it: "Essen University Hospital", "Essen Hbf"."""
        following = _NEXT_WORD.match(after)
        return bool(following) and following.group(1).rstrip(".") in self.institutions.after

    # -- actors -----------------------------------------------------------------------------------------------

    def find_actors(self, text: str) -> list[ActorMention]:
        """Every actor mention in `text`, in order (aliases are case-sensitive, whole words)."""
        assert self._actor_pattern is not None
        return [
            ActorMention(self._actor_by_alias[match.group(0)], match.group(0), match.start())
            for match in self._actor_pattern.finditer(text)
        ]


def _alternation(surfaces: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any surface form as a whole word, the longest that ends at a word boundary.

    The forms are merged into a character trie ("Essen", "Essener", "Essen-Steele" share "Essen"), so the regex
    engine follows one path per text position instead of trying every form in turn: matching time stays flat as the
    lists grow (a plain alternation of the ~1,000 forms was three times slower than one of ~450).
    """
    trie: dict[str, dict] = {}
    for surface in set(surfaces):
        node = trie
        for char in surface:
            node = node.setdefault(char, {})
        node[""] = {}
    return re.compile(rf"(?<![\w-])(?:{_trie_pattern(trie)})(?![\w])")


def _trie_pattern(node: dict[str, dict]) -> str:
    """The regex of a trie node: its branches, optional where a form ends here (greedy, so longer forms first)."""
    branches = [re.escape(char) + _trie_pattern(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in node else body


def inflected_forms(alias: str, institutions: InstitutionHeads) -> list[str]:
    """The dative and genitive forms of an institution name whose head is in `institutions`, besides the alias.

    "Universitätsklinikum Essen" -> "Universitätsklinikums Essen"; "Evangelisches Klinikum Gelsenkirchen" ->
    "Evangelischen Klinikum Gelsenkirchen" (dative) and "Evangelischen Klinikums Gelsenkirchen" (genitive);
    "Stadtwerke Bochum" -> "Stadtwerken Bochum". German texts name an actor in every case ("Forschende des
    Universitätsklinikums Essen"), and an exact alias list would hold only the nominative.
    """
    words = alias.split(" ")
    endings = [institutions.inflect(word) for word in words]
    i = next((i for i, ending in enumerate(endings) if ending is not None), None)
    if i is None:
        return []
    word, ending, before, rest = words[i], endings[i] or "", words[:i], words[i + 1 :]
    adjectives = [_ADJECTIVE.fullmatch(w) for w in before]
    oblique = [f"{a.group(1)}en" for a in adjectives if a] if before and all(adjectives) else before
    forms = {" ".join([*oblique, word, *rest]), " ".join([*oblique, word + ending, *rest])}
    forms.discard(alias)
    return sorted(forms)


def distinct_municipalities(mentions: Iterable[PlaceMention]) -> list[str]:
    """Municipality names in order of first mention, each once."""
    seen: dict[str, None] = {}
    for mention in mentions:
        if mention.municipality:
            seen.setdefault(mention.municipality, None)
    return list(seen)

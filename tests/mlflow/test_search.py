"""search_registered_models / search_model_versions: filters, ordering, paging."""

from helpers import SCHEMA, hexid


def page_all(search, **kwargs):
    pages, token = [], None
    while True:
        page = search(page_token=token, **kwargs)
        pages.append(list(page))
        token = page.token
        if not token:
            return pages
        assert len(pages) < 100, "paging does not end"


def test_search_models_paging_name_desc(client, catalog, new_name):
    ours = sorted(new_name("search") for _ in range(5))
    for name in ours:
        client.create_registered_model(name)

    # The query: everything in <catalog>.ml_team, two at a time, by name descending.
    pages = page_all(
        client.search_registered_models,
        filter_string=f"name LIKE '{catalog}.{SCHEMA}.%'",
        order_by=["name DESC"],
        max_results=2,
    )
    names = [m.name for page in pages for m in page]
    assert all(len(p) == 2 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    assert names == sorted(names, reverse=True)
    assert len(names) == len(set(names))
    assert set(ours) <= set(names)
    assert all(n.startswith(f"{catalog}.{SCHEMA}.") for n in names)
    everything = client.search_registered_models(
        filter_string=f"name LIKE '{catalog}.{SCHEMA}.%'", max_results=1000
    )
    assert sorted(m.name for m in everything) == sorted(names)

    # Only ours (their common prefix), so the exact pages are known: 2 + 2 + 1.
    prefix = ours[0].rsplit("_", 1)[0]  # <catalog>.ml_team.search
    # `_` is a LIKE wildcard too; it matches itself here, so this selects exactly our five.
    pages = page_all(
        client.search_registered_models,
        filter_string=f"name LIKE '{prefix}%'",
        order_by=["name DESC"],
        max_results=2,
    )
    assert [[m.name for m in p] for p in pages] == [ours[4:2:-1], ours[2:0:-1], ours[0:1]]
    asc = client.search_registered_models(filter_string=f"name LIKE '{prefix}%'", order_by=["name ASC"])
    assert [m.name for m in asc] == ours


def test_search_models_by_tag(client, catalog, new_name):
    team = f"risk_{hexid()}"
    a, b, c = new_name("tagged"), new_name("tagged"), new_name("tagged")
    client.create_registered_model(a, tags={"team": team})
    client.create_registered_model(b, tags={"team": "other"})
    client.create_registered_model(c, tags={"team": team, "task": "classification"})

    found = client.search_registered_models(filter_string=f"tags.`team` = '{team}'")
    assert sorted(m.name for m in found) == sorted([a, c])
    found = client.search_registered_models(filter_string=f"tag.team = '{team}'")
    assert sorted(m.name for m in found) == sorted([a, c])
    found = client.search_registered_models(
        filter_string=f"tags.`team` = '{team}' AND tags.task = 'classification'"
    )
    assert [m.name for m in found] == [c]
    found = client.search_registered_models(
        filter_string=f"name LIKE '{catalog}.{SCHEMA}.tagged%' AND tags.`team` != '{team}'"
    )
    assert b in {m.name for m in found} and not {a, c} & {m.name for m in found}
    # Search results carry the tags.
    assert {m.name: m.tags for m in client.search_registered_models(filter_string=f"name = '{c}'")} == {
        c: {"team": team, "task": "classification"}
    }


def test_search_models_ilike(client, new_name):
    name = new_name("CaseMix")
    client.create_registered_model(name)
    found = client.search_registered_models(filter_string=f"name ILIKE '{name.lower()}'")
    assert [m.name for m in found] == [name]


def test_search_versions_of_trained_model(client, trained):
    versions = client.search_model_versions(f"name = '{trained.name}'", order_by=["version_number DESC"])
    assert [mv.version for mv in versions] == ["3", "2", "1"]
    assert [mv.run_id for mv in versions] == [trained.v(n).run_id for n in (3, 2, 1)]
    assert all(mv.name == trained.name and mv.status == "READY" for mv in versions)

    asc = client.search_model_versions(f"name = '{trained.name}'", order_by=["version_number ASC"])
    assert [mv.version for mv in asc] == ["1", "2", "3"]

    pages = page_all(
        client.search_model_versions,
        filter_string=f"name = '{trained.name}'",
        order_by=["version_number DESC"],
        max_results=2,
    )
    assert [[mv.version for mv in p] for p in pages] == [["3", "2"], ["1"]]

    one = client.search_model_versions(f"name = '{trained.name}' AND run_id = '{trained.v(2).run_id}'")
    assert [mv.version for mv in one] == ["2"]


def test_search_versions_by_tag_and_number(client, register_copies):
    name = register_copies(3)
    client.set_model_version_tag(name, "2", "validation_status", "approved")
    found = client.search_model_versions(f"name = '{name}' AND tags.`validation_status` = 'approved'")
    assert [mv.version for mv in found] == ["2"]
    found = client.search_model_versions(f"name = '{name}' AND version_number >= 2", order_by=["version_number ASC"])
    assert [mv.version for mv in found] == ["2", "3"]

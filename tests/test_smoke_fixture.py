from rawstore import Thread


async def test_fixture_works(store):
    await store.memory.save_thread(Thread("t", "r"))
    assert (await store.memory.get_thread("t")) is not None

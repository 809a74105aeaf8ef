"""The crawl lock of a site, per archive (archive.schedule.site_lock)."""

from __future__ import annotations

import pytest

from archive.schedule import SiteLocked, lock_holder, site_lock


def test_one_archive_under_two_names_has_one_lock_per_site(tmp_path):
    """An adversarial review: through a link to the archive (or to its folder) a second crawl of a
    site ran beside the first: the lock was named after the path as written."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.db").touch()
    (tmp_path / "link.db").symlink_to(real / "a.db")
    (tmp_path / "linkdir").symlink_to(real)
    with site_lock(real / "a.db", "demo"):
        for other_name in (tmp_path / "link.db", tmp_path / "linkdir" / "a.db"):
            with pytest.raises(SiteLocked):
                with site_lock(other_name, "demo"):
                    pass
            assert lock_holder(other_name, "demo") is not None
        with site_lock(tmp_path / "link.db", "other"):  # another site of it is free
            pass
    with site_lock(tmp_path / "link.db", "demo"):  # and free again once the first is done
        pass

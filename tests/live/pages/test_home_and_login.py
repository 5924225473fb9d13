"""The home page, logging in and logging out."""

from django.test import Client


def test_the_home_page_points_anonymous_visitors_to_their_link_or_the_login(event):
    response = Client().get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Viewers: open the link the organiser sent you." in html
    assert 'href="/accounts/login/"' in html
    assert "The Open 2026, 1st tee" not in html  # events are not listed to the public
    assert "live-host" not in html


def test_the_home_page_lists_the_events_for_staff(staff_client, event, other_event):
    response = staff_client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/events/open-2026/live-host">The Open 2026, 1st tee</a>' in html
    assert '<a href="/events/other-cup/live-host">Other Cup</a>' in html
    assert "marshal" in html
    assert "Log out" in html
    assert 'href="/admin/"' in html


def test_the_home_page_invites_staff_to_create_the_first_event(staff_client, db):
    response = staff_client.get("/")

    assert response.status_code == 200
    assert "No events yet." in response.content.decode()


def test_the_home_page_hides_the_admin_link_from_fans(fan_client, event):
    response = fan_client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "fan" in html
    assert 'href="/admin/"' not in html


def test_the_login_page_renders(db):
    response = Client().get("/accounts/login/?next=/events/open-2026/live-host")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Staff log in" in html
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="next" value="/events/open-2026/live-host"' in html


def test_logging_in_leads_on_to_the_host_page(staff_user, event):
    client = Client()

    response = client.post(
        "/accounts/login/",
        {
            "username": "marshal",
            "password": "pw-marshal-123",
            "next": "/events/open-2026/live-host",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/events/open-2026/live-host"
    assert client.get("/events/open-2026/live-host").status_code == 200


def test_a_wrong_password_shows_an_error(staff_user):
    response = Client().post("/accounts/login/", {"username": "marshal", "password": "nope"})

    assert response.status_code == 200
    assert "Your username and password did not match." in response.content.decode()
    assert "_auth_user_id" not in Client().session


def test_logging_out_by_post_ends_the_session(staff_client, event):
    response = staff_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in staff_client.session
    assert staff_client.get("/events/open-2026/live-host").status_code == 302


def test_logging_out_by_get_is_refused(staff_client, event):
    response = staff_client.get("/accounts/logout/")

    assert response.status_code == 405
    assert staff_client.get("/events/open-2026/live-host").status_code == 200

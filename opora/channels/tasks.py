"""Background work of channels: polling mailboxes and sending the outbox."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="email")
def delivery_send(*, delivery_id: int) -> str:
    from opora.channels.outbox import delivery_attempt

    return delivery_attempt(delivery_id)


@task()
def deliveries_due() -> str:
    """Re-enqueue deliveries whose retry time has come (or whose sender died)."""
    from opora.channels.outbox import deliveries_due as due

    ids = due()
    for delivery_id in ids:
        delivery_send.enqueue(delivery_id=delivery_id)
    return f"enqueued {len(ids)}"


@task()
def mailboxes_poll() -> str:
    """Every active mailbox gets its own poll job, so one slow server delays no other."""
    from opora.channels.models import Mailbox

    ids = list(Mailbox.objects.filter(is_active=True).values_list("pk", flat=True))
    for mailbox_id in ids:
        mailbox_poll.enqueue(mailbox_id=mailbox_id)
    return f"enqueued {len(ids)}"


@task(queue_name="email")
def mailbox_poll(*, mailbox_id: int) -> str:
    from opora.channels.mail.imap import mailbox_poll as poll
    from opora.channels.models import Mailbox

    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None:
        return "skipped: mailbox inactive or gone"
    result = poll(mailbox)
    if result.busy:
        return "skipped: another poll is running"
    return f"fetched {result.fetched}, too large {result.too_large}, error {result.error or '-'}"


@task()
def telegram_bots_poll() -> str:
    """Every active bot gets its own poll job."""
    from opora.channels.models import TelegramBot

    ids = list(TelegramBot.objects.filter(is_active=True).values_list("pk", flat=True))
    for bot_id in ids:
        telegram_bot_poll.enqueue(bot_id=bot_id)
    return f"enqueued {len(ids)}"


@task(queue_name="email")
def telegram_bot_poll(*, bot_id: int) -> str:
    from opora.channels.models import TelegramBot
    from opora.channels.telegram.inbound import bot_poll

    bot = TelegramBot.objects.filter(pk=bot_id, is_active=True).first()
    if bot is None:
        return "skipped: bot inactive or gone"
    result = bot_poll(bot)
    if result.busy:
        return "skipped: another poll is running"
    return f"fetched {result.fetched}, error {result.error or '-'}"

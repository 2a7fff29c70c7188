"""Alerts (CONTRACT §8): messages (pure), e-mail and webhook delivery, and the
queue in the warehouse that makes every cause alert once and survive failures."""

"""The ``compose`` stack's containers: ``docker-compose.yml`` started and stopped through docker compose."""

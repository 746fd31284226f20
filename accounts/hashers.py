from django.contrib.auth.hashers import Argon2PasswordHasher


class BankArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).

    Django's defaults (100 MiB, 8 lanes) cost about 0.32 s of CPU per login on a 2-core
    server (make bench: 6 logins/s), which made the login endpoint a cheap way to exhaust
    the CPU. Hashes made with other parameters are upgraded at the user's next login.
    """

    algorithm = "argon2"  # same identifier: existing hashes verify and are re-hashed
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1

"""pytest settings shared by tests/, the labs and their solutions."""

from aimastery.testing import use_course_hypothesis_profile

use_course_hypothesis_profile()

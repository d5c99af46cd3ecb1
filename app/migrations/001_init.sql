-- Vote targets and one vote per (target, voter).
CREATE TABLE targets (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE votes (
  target_id  uuid NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
  voter_id   uuid NOT NULL,
  value      text NOT NULL CHECK (value IN ('up', 'down')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_id, voter_id)
);

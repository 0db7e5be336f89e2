-- What an import sets of a student, as the audit trail's before and after.
CREATE OR REPLACE FUNCTION auth.import_view(p_account uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('family_name', a.family_name,
	    'given_name', a.given_name, 'chinese_name', a.chinese_name,
	    'school', a.school, 'degree', a.degree, 'cohort', a.cohort,
	    'nationality', a.nationality, 'sex', a.sex,
	    'counsellor', (SELECT string_agg(s.login, ',' ORDER BY s.login)
		FROM auth.counsellors_of(a.id) c
		JOIN auth.accounts s ON s.id = c.staff_id))
	FROM auth.accounts a WHERE a.id = p_account;
$$;

-- Student import: valid rows (already checked by the service) are upserted
-- by student ID; re-import updates and never duplicates. A column the file
-- lacks keeps the stored value; each change is audited with its before and
-- after. Rows that clash with staff accounts or name an unknown counsellor
-- are reported.
CREATE OR REPLACE FUNCTION auth.import_students(p_rows jsonb, p_initial_hash text,
    p_actor uuid, p_request_id text, p_client text, p_initial_days integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_row		jsonb;
	v_id		uuid;
	v_kind		text;
	v_counsellor	uuid;
	v_created	integer := 0;
	v_updated	integer := 0;
	v_rejected	jsonb := '[]';
	v_before	jsonb;
	v_changes	jsonb;
BEGIN
	FOR v_row IN SELECT * FROM jsonb_array_elements(p_rows) LOOP
		v_counsellor := NULL;
		IF coalesce(v_row->>'counsellor', '') <> '' THEN
			SELECT a.id INTO v_counsellor FROM auth.accounts a
			JOIN auth.account_roles r ON r.account_id = a.id
			    AND r.role = 'counsellor'
			WHERE lower(a.login) = lower(v_row->>'counsellor');
			IF v_counsellor IS NULL THEN
				v_rejected := v_rejected || jsonb_build_object(
				    'row', v_row->'row', 'errors', jsonb_build_array(
				    jsonb_build_object('field', 'counsellor',
				    'message', 'is not a counsellor account')));
				CONTINUE;
			END IF;
		END IF;
		SELECT id, kind INTO v_id, v_kind FROM auth.accounts
		WHERE lower(login) = lower(v_row->>'student_id') FOR UPDATE;
		IF FOUND AND v_kind <> 'student' THEN
			v_rejected := v_rejected || jsonb_build_object('row',
			    v_row->'row', 'errors', jsonb_build_array(
			    jsonb_build_object('field', 'student_id',
			    'message', 'belongs to a staff account')));
			CONTINUE;
		END IF;
		IF FOUND THEN
			v_before := auth.import_view(v_id);
			UPDATE auth.accounts SET
			    family_name = v_row->>'family_name',
			    given_name = v_row->>'given_name',
			    chinese_name = auth.kept(v_row, 'chinese_name',
				chinese_name),
			    school = v_row->>'school', degree = v_row->>'degree',
			    cohort = (v_row->>'cohort')::int,
			    nationality = auth.kept(v_row, 'nationality',
				nationality),
			    sex = auth.kept(v_row, 'sex', sex), updated_at = now()
			WHERE id = v_id;
			v_updated := v_updated + 1;
		ELSE
			INSERT INTO auth.accounts (login, kind, family_name,
			    given_name, chinese_name, school, degree, cohort,
			    nationality, sex, email, password_hash,
			    initial_password_expires_at)
			VALUES (v_row->>'student_id', 'student',
			    v_row->>'family_name', v_row->>'given_name',
			    v_row->>'chinese_name', v_row->>'school',
			    v_row->>'degree', (v_row->>'cohort')::int,
			    v_row->>'nationality', v_row->>'sex',
			    v_row->>'email', p_initial_hash,
			    now() + make_interval(days => p_initial_days))
			RETURNING id INTO v_id;
			INSERT INTO auth.account_roles VALUES (v_id, 'student');
			v_created := v_created + 1;
			v_before := NULL;
		END IF;
		IF v_counsellor IS NOT NULL THEN
			DELETE FROM auth.staff_scopes s USING auth.account_roles r
			WHERE s.scope = 'student' AND s.value = v_id::text
			    AND r.account_id = s.staff_id AND r.role = 'counsellor';
			INSERT INTO auth.staff_scopes VALUES (v_counsellor,
			    'student', v_id::text) ON CONFLICT DO NOTHING;
		END IF;
		v_changes := auth.changes(v_before, auth.import_view(v_id));
		IF v_before IS NOT NULL AND v_changes IS NOT NULL THEN
			PERFORM auth.audit(p_actor, 'account.updated', v_id,
			    v_changes || jsonb_build_object('row', v_row->'row'),
			    p_request_id, p_client);
		END IF;
	END LOOP;
	PERFORM auth.audit(p_actor, 'accounts.imported', NULL,
	    jsonb_build_object('created', v_created, 'updated', v_updated,
	    'rejected', jsonb_array_length(v_rejected)), p_request_id, p_client);
	RETURN jsonb_build_object('created', v_created, 'updated', v_updated,
	    'rejected', v_rejected);
END $$;

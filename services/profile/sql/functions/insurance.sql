-- Insurance records, imported by the International Office from the
-- insurer's list (CSV): one row per student and policy, updated in place
-- when the same policy comes again. Students read theirs in their profile.

CREATE OR REPLACE FUNCTION profile.row_error(p_row jsonb, p_field text,
    p_message text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_array(jsonb_build_object('row', p_row->'row',
	    'errors', jsonb_build_array(jsonb_build_object('field', p_field,
	    'message', p_message))));
$$;

CREATE OR REPLACE FUNCTION profile.import_insurance(p_caller uuid,
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r		jsonb;
	v_student	uuid;
	v_old		profile.insurance;
	v_new		profile.insurance;
	n_new		int := 0;
	n_upd		int := 0;
	n_same		int := 0;
	v_rej		jsonb := '[]';
BEGIN
	FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
		v_student := auth.account_id(r->>'student_id', 'student');
		IF v_student IS NULL
		    OR NOT auth.can_read_student(p_caller, v_student) THEN
			v_rej := v_rej || profile.row_error(r, 'student_id',
			    'is not a student ID you manage');
			CONTINUE;
		END IF;
		BEGIN
			SELECT * INTO v_old FROM profile.insurance
			WHERE student_id = v_student
			    AND policy_number = r->>'policy_number' FOR UPDATE;
			v_new := jsonb_populate_record(v_old, (r - 'row'
			    - 'student_id') || jsonb_build_object('student_id',
			    v_student, 'imported_by', p_caller,
			    'imported_at', now()));
			IF v_old.id IS NULL THEN
				INSERT INTO profile.insurance (student_id,
				    company, policy_name, policy_number,
				    valid_from, valid_to, amount,
				    effective_date, expiry_date,
				    company_contact, status, imported_by)
				VALUES (v_student, v_new.company,
				    v_new.policy_name, v_new.policy_number,
				    v_new.valid_from, v_new.valid_to,
				    v_new.amount, v_new.effective_date,
				    v_new.expiry_date, v_new.company_contact,
				    v_new.status, p_caller);
				n_new := n_new + 1;
			ELSIF (v_old.company, v_old.policy_name, v_old.valid_from,
			    v_old.valid_to, v_old.amount, v_old.effective_date,
			    v_old.expiry_date, v_old.company_contact,
			    v_old.status) IS DISTINCT FROM (v_new.company,
			    v_new.policy_name, v_new.valid_from, v_new.valid_to,
			    v_new.amount, v_new.effective_date,
			    v_new.expiry_date, v_new.company_contact,
			    v_new.status) THEN
				UPDATE profile.insurance SET
				    company = v_new.company,
				    policy_name = v_new.policy_name,
				    valid_from = v_new.valid_from,
				    valid_to = v_new.valid_to,
				    amount = v_new.amount,
				    effective_date = v_new.effective_date,
				    expiry_date = v_new.expiry_date,
				    company_contact = v_new.company_contact,
				    status = v_new.status,
				    imported_at = now(), imported_by = p_caller
				WHERE id = v_old.id;
				n_upd := n_upd + 1;
			ELSE
				n_same := n_same + 1;
				CONTINUE;
			END IF;
			PERFORM profile.audit(p_caller, 'import', v_student,
			    'insurance', r->>'policy_number',
			    CASE WHEN v_old.id IS NOT NULL THEN
				v_old.status || ' ' || v_old.expiry_date END,
			    v_new.status || ' ' || v_new.expiry_date,
			    jsonb_build_object('row', r->'row'), p_request_id,
			    p_client);
		EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
			v_rej := v_rej || profile.row_error(r, '', SQLERRM);
		END;
	END LOOP;
	RETURN jsonb_build_object('created', n_new, 'updated', n_upd,
	    'unchanged', n_same, 'rejected', v_rej);
END $$;
